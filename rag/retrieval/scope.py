"""Step 1 of retrieval: the question's filters resolved against the release's documents into what
both searches may return (rag/filters.py holds the conditions)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from index.store import DocumentRecord
from rag.filters import allowed_documents
from rag.types import RetrievalFilters


@dataclass(frozen=True)
class Scope:
    """What one question may be answered from. ``allowed``: the document ids (None: every
    document); ``collections``: the collection condition the searches carry; ``dense_ids``:
    the document-id condition the Chroma query carries besides it (None when the collections
    are the only filter); ``requested``: the collections the caller asked for, which the
    committed step checks once more."""

    allowed: set[str] | None = None
    collections: Collection[str] | None = None
    dense_ids: set[str] | None = None
    requested: Collection[str] | None = None


EVERYTHING = Scope()


def resolve(filters: RetrievalFilters | None,
            documents: Callable[[], Mapping[str, DocumentRecord]]) -> Scope | None:
    """The scope of ``filters`` over the release's ``documents`` (read only when a filter is
    given); None when nothing may be found."""
    if filters is None or filters.is_empty():
        return EVERYTHING
    requested = filters.collections
    if requested is not None and not requested:
        return None
    records = documents()
    if requested is not None and {d.collection for d in records.values()} <= set(requested):
        # Every document's collection is allowed (e.g. a key naming them all): the condition
        # would let everything through, and Chroma's metadata filter costs far more than it
        # does then; the committed step still checks every candidate.
        filters = replace(filters, collections=None)
    if filters.is_empty():
        return Scope(requested=requested)
    allowed = allowed_documents(filters, records)
    if not allowed:
        return None
    return Scope(allowed=allowed, collections=filters.collections,
                 dense_ids=None if filters.only_collections() else allowed,
                 requested=requested)
