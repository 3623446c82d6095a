"""The audit log as people read it (F9): administrators search it, a physician sees their own
activity ("Mon activité"); and the public key that verifies the chain's checkpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast, get_args

from aiohttp import web

from common.bus import call
from common.contracts import audit as api
from common.contracts.base import Empty
from common.contracts.documents import NAME_DOCUMENTS, DocumentVersionRef, NamedDocument, NameDocuments
from common.errors import ServiceUnavailable

from ..i18n import request_locale
from ..labels import ACTIVITY_KINDS, AUDIT_ACTORS, AUDIT_ENTITIES, AUDIT_OUTCOMES, LOGIN_METHODS, N_, recorded_number
from ..pages import render_page
from ..query import ListQuery
from ..sessions import current_token
from ..state import bus_of

ACTIONS = tuple(sorted(get_args(api.Action)))
"""The actions an administrator may pick (the contract's; a newer one is searched by its records' links)."""
PER_PAGE = 50
ACTIVITY_PER_PAGE = 25


async def audit_page(request: web.Request) -> web.Response:
    """GET /admin/audit?account=&action=&from=&to=&entity=&page=: the records that match, newest first."""
    query = ListQuery(request.query, request_locale(request))
    wanted = api.RecordSearch(
        account=query.text("account", api.ACCOUNT_ID_MAX),
        action=query.choice("action", ACTIONS),
        recorded_from=query.day("from"),
        recorded_to=query.day("to"),
        entity=recorded_number(query.text("entity", api.ENTITY_ID_MAX)),  # "GLN 7601…" as shown
        page=query.page(),
        per_page=PER_PAGE,
    )
    found = await call(bus_of(request), api.SEARCH_RECORDS, wanted, token=current_token(request))
    return render_page(
        request,
        "admin_audit.html",
        {
            **query.listing("/admin/audit", found.total, wanted.page, found.per_page),
            "items": found.items,
            "actions": ACTIONS,
            "outcomes": AUDIT_OUTCOMES,
            "actors": AUDIT_ACTORS,
            "entities": AUDIT_ENTITIES,
        },
        status=query.status,
    )


@dataclass(frozen=True)
class ActivityRow:
    """One line of "Mon activité": what happened (a message id), how, from where, when."""

    item: api.ActivityItem
    what: str
    how: str | None = None  # a message id; None: a document
    document: NamedDocument | None = None  # the document opened, as Mes documents names it


def activity_row(item: api.ActivityItem, named: dict[tuple[str, int], NamedDocument]) -> ActivityRow:
    if item.action in LOGIN_METHODS:
        what = N_("Logged in") if item.outcome == "success" else N_("Login refused")
        return ActivityRow(item, what, LOGIN_METHODS[item.action])
    if item.action == "logout":
        elsewhere = item.detail == "ended from another session"  # identity's words (open_sessions.py)
        return ActivityRow(item, N_("Session ended"), N_("from another session") if elsewhere else N_("logout"))
    what = N_("Document downloaded") if item.action == "document.downloaded" else N_("Document opened")
    return ActivityRow(item, what, document=named.get((item.document_id or "", item.document_version or 0)))


async def _named(request: web.Request, items: list[api.ActivityItem]) -> dict[tuple[str, int], NamedDocument]:
    """The titles and pages of the documents the items name (none if the documents service is away:
    the page then shows their ids)."""
    refs = {
        (item.document_id, item.document_version)
        for item in items
        if item.document_id is not None and item.document_version is not None
    }
    if not refs:
        return {}
    wanted = NameDocuments(documents=[DocumentVersionRef(document_id=d, version=v) for d, v in sorted(refs)])
    try:
        found = await call(bus_of(request), NAME_DOCUMENTS, wanted, token=current_token(request))
    except ServiceUnavailable:
        return {}
    return {(named.document_id, named.version): named for named in found.items}


async def activity_page(request: web.Request) -> web.Response:
    """GET /activity?kind=&page=: the physician's own logins, documents opened, sessions ended."""
    query = ListQuery(request.query)
    kind = cast(api.ActivityKind | None, query.choice("kind", ACTIVITY_KINDS))
    wanted = api.ActivityQuery(kind=kind, page=query.page(), per_page=ACTIVITY_PER_PAGE)
    found = await call(bus_of(request), api.MY_ACTIVITY, wanted, token=current_token(request))
    named = await _named(request, found.items)
    return render_page(
        request,
        "activity.html",
        {
            **query.listing("/activity", found.total, wanted.page, found.per_page),
            "rows": [activity_row(item, named) for item in found.items],
            "kinds": ACTIVITY_KINDS,
        },
    )


KEY_SECONDS = 300


@dataclass
class _KeyCache:
    body: bytes = b""
    key_id: str = ""
    at: float = -KEY_SECONDS


_key = _KeyCache()


async def checkpoint_key(request: web.Request) -> web.Response:
    """GET /.well-known/audit-checkpoint-key.pem: the public key that verifies the audit chain's
    checkpoints (README, "Audit trail"), as PEM; its id in `X-Key-Id`."""
    if time.monotonic() - _key.at > KEY_SECONDS:
        key = await call(bus_of(request), api.GET_CHECKPOINT_KEY, Empty())
        _key.body, _key.key_id, _key.at = key.pem.encode(), key.key_id, time.monotonic()
    return web.Response(
        body=_key.body,
        content_type="application/x-pem-file",
        headers={
            "Cache-Control": f"public, max-age={KEY_SECONDS}",
            "Access-Control-Allow-Origin": "*",
            "X-Key-Id": _key.key_id,
        },
    )
