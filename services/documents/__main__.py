"""Composition root of the documents service: `python -m services.documents`."""

from pathlib import Path

from common import event_loop
from common.service import run_service

from .app import make_setup
from .config import DocumentsSettings


def main() -> None:
    settings = DocumentsSettings.from_env()
    event_loop.run(
        run_service(
            "documents",
            settings.service,
            Path(__file__).parent / "migrations",
            make_setup(settings),
            "Designations, document ingestion and delivery, encrypted storage, lists",
        )
    )


if __name__ == "__main__":
    main()
