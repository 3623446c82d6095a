"""Composition root of the documents service: `python -m services.documents`."""

from services.launch import launch

from .app import make_setup
from .config import DocumentsSettings


def main() -> None:
    settings = DocumentsSettings.from_env()
    launch(
        "documents",
        settings.service,
        make_setup(settings),
        "Designations, document ingestion and delivery, encrypted storage, lists",
    )


if __name__ == "__main__":
    main()
