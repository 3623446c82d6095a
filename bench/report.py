"""The printed report: figures with the floor the issue sets, PASS/FAIL, and notes."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    floor: str = ""
    ok: bool | None = None  # None: a figure without a floor


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)

    def title(self, text: str) -> None:
        self._print(f"\n== {text}")

    def note(self, text: str) -> None:
        self._print(f"   {text}")

    def figure(self, label: str, value: str, floor: str = "", ok: bool | None = None) -> Figure:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        floor_text = f"floor {floor}" if floor else ""
        self._print(f"   {label:<44} {value:>24}   {floor_text:<28} {verdict}")
        if ok is False:
            self.failures.append(f"{label} = {value.strip()} (floor {floor})")
        return Figure(label, value, floor, ok)

    def failed(self, what: str, error: BaseException | str) -> None:
        """A measurement that could not be made: it counts as a failure."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._print(f"   NOT MEASURED: {what}: {text}")
        self.failures.append(f"{what} not measured ({text})")

    def summary(self) -> None:
        self._print("")
        if self.failures:
            self._print(f"SUMMARY: {len(self.failures)} failure(s): " + "; ".join(self.failures))
        else:
            self._print("SUMMARY: every figure meets its floor")

    @staticmethod
    def _print(text: str) -> None:
        print(text, flush=True)
        sys.stdout.flush()


def rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[max(0, min(len(ordered), rank) - 1)]
