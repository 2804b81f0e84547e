"""Collections: every document belongs to exactly one (``default`` unless told otherwise).

Representation (docs/collections.md):

- A document's record (``<name>__docs``) and each of its chunks carry a ``collection`` metadata
  field. A filtered dense query is restricted to the allowed chunks' ids inside Chroma
  (rag.retrieval), or filters on the chunks' field when no keyword index is kept.
- Document ids are unique *within* a collection. The index-wide key a document is stored under
  (the releases manifest's key, the chunk ids, ``Passage.doc_id``) is the plain id in ``default``
  and ``NAME::ID`` elsewhere, so two collections can each hold ``handbook.md``.
- The names of the collections (including empty ones) are records of ``<name>__collections``.
- An index built before collections has neither field nor registry: on open, every chunk and
  version record without a ``collection`` field is stamped ``default`` (idempotent, resumable)
  and the marker record ``__schema__`` is written last.
"""

from __future__ import annotations

import re
import time
from typing import Any

from index.errors import InputError, NotFoundError, StoreUnavailableError

DEFAULT = "default"
SEPARATOR = "::"
COLLECTION_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_NAME = re.compile(COLLECTION_NAME_PATTERN)
_SCHEMA_ID = "__schema__"
_DUMMY = [1.0]
_PAGE = 5000


def check_name(name: str) -> str:
    """``name`` if it is a valid collection name, else InputError saying what is allowed."""
    value = (name or "").strip()
    if not _NAME.match(value):
        raise InputError(
            f"{name!r} is not a valid collection name: use 1-63 characters, lower-case letters, "
            "digits, '-' and '_', starting with a letter or digit (e.g. 'hr' or 'finance-2024')"
        )
    return value


def key_for(collection: str, doc_id: str) -> str:
    """The index-wide key of document ``doc_id`` of ``collection``."""
    return doc_id if collection == DEFAULT else f"{collection}{SEPARATOR}{doc_id}"


def split_key(key: str, collection: str) -> str:
    """The id within its collection of the document stored under ``key``."""
    prefix = f"{collection}{SEPARATOR}"
    return key[len(prefix):] if collection != DEFAULT and key.startswith(prefix) else key


class CollectionRegistry:
    """The names of an index's collections (``<name>__collections``) and the migration marker."""

    def __init__(self, client: Any, name: str) -> None:
        try:
            self._col = client.get_or_create_collection(name, embedding_function=None)
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {name!r}: {exc}") from None

    def names(self) -> list[str]:
        page = self._col.get(include=["metadatas"])
        names = {str(m.get("name")) for m in page["metadatas"] or [] if m.get("kind") == "collection"}
        return sorted(names | {DEFAULT})

    def exists(self, name: str) -> bool:
        return name == DEFAULT or bool(self._col.get(ids=[f"c:{name}"])["ids"])

    def create(self, name: str) -> bool:
        """Register ``name``; False if it already existed."""
        name = check_name(name)
        if self.exists(name):
            return False
        self._col.upsert(ids=[f"c:{name}"], embeddings=[_DUMMY],
                         metadatas=[{"kind": "collection", "name": name,
                                     "created_at": time.time()}])
        return True

    def ensure(self, name: str) -> None:
        if name != DEFAULT and not self.exists(name):
            self.create(name)

    def remove(self, name: str) -> None:
        if name == DEFAULT:
            raise InputError("the collection 'default' cannot be deleted (it may be empty)")
        if not self.exists(name):
            raise NotFoundError(f"no such collection: {name!r}")
        self._col.delete(ids=[f"c:{name}"])

    def migrated(self, step: str = "") -> bool:
        """Whether the index's migration ``step`` ran ("": stamping collections)."""
        return bool(self._col.get(ids=[_SCHEMA_ID + step])["ids"])

    def mark_migrated(self, step: str = "") -> None:
        self._col.upsert(ids=[_SCHEMA_ID + step], embeddings=[_DUMMY],
                         metadatas=[{"kind": "schema", "collections": 1,
                                     "migrated_at": time.time()}])


def stamp_default(col: Any) -> int:
    """Give every record of Chroma collection ``col`` without a ``collection`` field the value
    ``default`` (metadata updates merge); return how many were stamped."""
    stamped = 0
    offset = 0
    while True:
        page = col.get(include=["metadatas"], limit=_PAGE, offset=offset)
        ids = [rid for rid, meta in zip(page["ids"], page["metadatas"] or [])
               if not (meta or {}).get("collection")]
        if ids:
            col.update(ids=ids, metadatas=[{"collection": DEFAULT}] * len(ids))
            stamped += len(ids)
        if len(page["ids"]) < _PAGE:
            return stamped
        offset += _PAGE
