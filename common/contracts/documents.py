"""Requests the documents service answers for the gateway (each carries the session token)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LIST = "documents.api.list"
GET = "documents.api.get"
CONTENT = "documents.api.content"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListDocuments(_Message):
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)


class DocumentSummary(_Message):
    """One delivered document as its recipient sees it; `id` is the delivery's opaque id."""

    id: str
    title: str
    category: str
    service: str
    author: str
    version: int
    created_at: datetime
    delivered_at: datetime
    unread: bool
    patient_name: str
    patient_birth_date: date


class DocumentPage(_Message):
    items: list[DocumentSummary]
    total: int
    page: int
    per_page: int


class GetDocument(_Message):
    id: str = Field(min_length=1, max_length=64)


class GetContent(_Message):
    id: str = Field(min_length=1, max_length=64)
    disposition: Literal["view", "download"]


class DocumentContent(_Message):
    media_type: str
    filename: str
    data_b64: str
