"""Metadata filters: which documents a question may be answered from.

A :class:`~rag.types.RetrievalFilters` is resolved against the manifest's document records into
the set of allowed document ids; both retrievers then search only those (Chroma through a
``doc_id $in`` condition, BM25 through a mask), so the filters mean the same on both sides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone

from index.errors import InputError
from index.store import DocumentRecord
from rag.types import RetrievalFilters

# `rag ask --filter KEY=VALUE` keys and the RetrievalFilters field each sets.
CLI_KEYS = {
    "doc_id": "doc_ids",
    "path": "path_prefix",
    "title": "title",
    "modified_after": "modified_after",
    "modified_before": "modified_before",
    "indexed_after": "indexed_after",
    "indexed_before": "indexed_before",
    "dated_after": "dated_after",
    "dated_before": "dated_before",
}


def matches(f: RetrievalFilters, doc: DocumentRecord) -> bool:
    """Whether ``doc`` passes every condition of ``f`` (conditions are ANDed)."""
    if f.collections is not None and doc.collection not in f.collections:
        return False
    if f.doc_ids and doc.doc_id not in f.doc_ids:
        return False
    if f.path_prefix and not (doc.doc_id.startswith(f.path_prefix)
                              or doc.source_path.startswith(f.path_prefix)):
        return False
    if f.title and f.title.casefold() not in doc.title.casefold():
        return False
    if not (_within(doc.mtime, f.modified_after, f.modified_before)
            and _within(doc.indexed_at, f.indexed_after, f.indexed_before)):
        return False
    if f.dated_after is None and f.dated_before is None:
        return True
    dated = document_time(doc.date)
    return dated is not None and _within(dated, f.dated_after, f.dated_before)


def document_time(value: str) -> float | None:
    """A stored document date (index.dates: ISO day or UTC date-time) as a Unix time."""
    if not value:
        return None
    try:
        return parse_time(value, "date")
    except InputError:
        return None


def _within(value: float, after: float | None, before: float | None) -> bool:
    return (after is None or value >= after) and (before is None or value < before)


def allowed_documents(f: RetrievalFilters | None,
                      documents: Mapping[str, DocumentRecord]) -> set[str] | None:
    """The ids of the documents ``f`` lets through; ``None`` means no filtering at all."""
    if f is None or f.is_empty():
        return None
    return {d.doc_id for d in documents.values() if matches(f, d)}


def parse_time(value: str, field: str) -> float:
    """An ISO date or date-time (UTC unless it names a zone) as a Unix time; InputError if not."""
    text = value.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            moment = datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        raise InputError(
            f"filter {field}: {value!r} is not a date; use YYYY-MM-DD or an ISO date-time such as "
            "2024-03-01T12:00:00Z"
        ) from None
    return moment.timestamp()


def parse_cli_filters(items: Sequence[str]) -> RetrievalFilters | None:
    """``["doc_id=a.txt", "path=reports/", "modified_after=2024-01-01"]`` -> filters."""
    if not items:
        return None
    values: dict[str, object] = {}
    doc_ids: list[str] = []
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise InputError(f"--filter {item!r}: write KEY=VALUE, e.g. --filter path=reports/")
        if key not in CLI_KEYS:
            raise InputError(f"--filter {item!r}: unknown key {key!r}; use one of "
                             + ", ".join(CLI_KEYS))
        field = CLI_KEYS[key]
        if field == "doc_ids":
            doc_ids.append(value.strip())
        elif field.endswith(("_after", "_before")):
            values[field] = parse_time(value, key)
        else:
            values[field] = value.strip()
    return build_filters(doc_ids=tuple(doc_ids), **values)  # type: ignore[arg-type]


def build_filters(**values: object) -> RetrievalFilters:
    """Filters from already-typed values; InputError when a date range is empty."""
    f = RetrievalFilters(**values)  # type: ignore[arg-type]
    for name in ("modified", "indexed", "dated"):
        after, before = getattr(f, f"{name}_after"), getattr(f, f"{name}_before")
        if after is not None and before is not None and after >= before:
            raise InputError(f"filter {name}_after must be earlier than {name}_before")
    return f
