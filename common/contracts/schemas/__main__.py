"""`python -m common.contracts.schemas --write` writes the message schemas the models generate
(`make schemas`); without `--write` it fails, naming them, while one is stale."""

from __future__ import annotations

import argparse
import sys

from .generate import stale, write

REGENERATE = "make schemas  (python -m common.contracts.schemas --write)"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m common.contracts.schemas", description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the stale schemas")
    if parser.parse_args().write:
        for subject in write():
            print(f"wrote {subject}")
        return 0
    outdated = stale()
    for subject in outdated:
        print(f"stale: {subject}; run {REGENERATE}", file=sys.stderr)
    return 1 if outdated else 0


if __name__ == "__main__":
    sys.exit(main())
