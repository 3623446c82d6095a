"""What the documents service remembers of the lists it served, to spare work on the next page.

Nothing here is trusted on its own: each memory carries the version of the physician's list it
was read with (the sum of the tallies' changes, see queries.Anchors), and every page's own
statement returns the current version to compare it with.
"""

from __future__ import annotations

from common.contracts import documents as api
from common.recent import Recent

from . import queries


class ListAnchors:
    """The anchors of the lists recently paged deep into."""

    EVERY = 250  # rows between anchors: a page's OFFSET walks fewer than this many
    DEEP = 2 * EVERY  # a page at least this far down a list is worth reading its anchors for

    # What makes two pages belong to the same list: every field but the page and the counters.
    _LIST_FIELDS = tuple(name for name in api.ListDocuments.model_fields if name not in ("page", "with_counters"))

    def __init__(self, size: int = 10_000) -> None:
        self._anchors: Recent[tuple[object, ...], queries.Anchors] = Recent(size)

    @classmethod
    def _key(cls, account_id: str, query: api.ListDocuments) -> tuple[object, ...]:
        return (account_id, *(getattr(query, name) for name in cls._LIST_FIELDS))

    def get(self, account_id: str, query: api.ListDocuments) -> queries.Anchors | None:
        return self._anchors.get(self._key(account_id, query))

    def put(self, account_id: str, query: api.ListDocuments, anchors: queries.Anchors) -> None:
        self._anchors.put(self._key(account_id, query), anchors)

    def drop(self, account_id: str, query: api.ListDocuments) -> None:
        self._anchors.drop(self._key(account_id, query))


class KnownServices:
    """Each physician's services (for the list's filter) with the list version they were read at:
    while the version holds, the page's statement does not read them again."""

    def __init__(self, size: int = 10_000) -> None:
        self._services: Recent[str, tuple[int, list[str]]] = Recent(size)

    def get(self, account_id: str) -> tuple[int, list[str]] | None:
        """The version and the services known at it. Keep the pair: another request may replace it."""
        return self._services.get(account_id)

    def resolve(
        self, account_id: str, known: tuple[int, list[str]] | None, listing: queries.DocumentListing
    ) -> list[str]:
        """The listing's services: read by its statement, or else the `known` ones it was told of."""
        if listing.services is None:
            assert known is not None and known[0] == listing.version
            return known[1]
        self._services.put(account_id, (listing.version, listing.services))
        return listing.services
