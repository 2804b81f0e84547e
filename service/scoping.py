"""Which collections a request may see (docs/collections.md).

A key opens its collections (``Principal.collections``; None: every one) and a request may narrow
them further with ``"collections": [...]``. Naming a collection that does not exist or that the
key cannot see is the same 404 ("no such collection"), so a key never learns that a collection
it cannot see exists. The resolved tuple travels into retrieval as
``RetrievalFilters.collections``; every read route uses :func:`can_see` the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from index.collections import DEFAULT, SEPARATOR, check_name
from index.errors import InputError, NotFoundError
from index.store import ChromaStore
from rag.types import AskOptions, RetrievalFilters
from service.errors import ApiError
from service.security import Principal


def no_such_collection(name: str) -> NotFoundError:
    return NotFoundError(f"no such collection: {name!r} (list the ones your key can see with "
                         "GET /v1/collections)")


def require_every_collection(principal: Principal, what: str) -> None:
    """403 unless the key opens every collection: ``what`` acts on all of them at once."""
    if principal.collections is not None:
        raise ApiError(403, "Forbidden", f"{what} needs an admin key for every collection")


def can_see(principal: Principal, collection: str) -> bool:
    return principal.collections is None or collection in principal.collections


def visible_names(principal: Principal, store: ChromaStore) -> list[str]:
    return [n for n in store.collections.names() if can_see(principal, n)]


def resolve(principal: Principal, requested: Sequence[str] | None,
            store: ChromaStore) -> tuple[str, ...] | None:
    """The collections a request searches: the key's (None: all), narrowed to ``requested``."""
    if requested is None:
        return principal.collections
    if not requested:
        raise InputError("'collections' is empty: name at least one collection, or leave the "
                         "field out to search every collection your key can see")
    known = set(store.collections.names())
    out: list[str] = []
    for name in requested:
        check_name(name)
        if name not in known or not can_see(principal, name):
            raise no_such_collection(name)
        out.append(name)
    return tuple(dict.fromkeys(out))


def scoped_options(options: AskOptions, principal: Principal, requested: Sequence[str] | None,
                   store: ChromaStore) -> AskOptions:
    """``options`` with the request's collections set in its filters (unchanged when every
    collection is open)."""
    collections = resolve(principal, requested, store)
    if collections is None:
        return options
    filters = options.filters or RetrievalFilters()
    return dataclasses.replace(options,
                               filters=dataclasses.replace(filters, collections=collections))


def asked_over(options: AskOptions) -> tuple[str, ...] | None:
    return options.filters.collections if options.filters is not None else None


def collection_of_key(doc_key: str) -> str:
    """The collection a document key names (for ids whose record is gone, e.g. deletions)."""
    head, sep, _ = doc_key.partition(SEPARATOR)
    return head if sep else DEFAULT
