"""The Chroma store: chunk vectors, document versions and the releases that name them.

Four Chroma collections per index (not to be confused with the document *collections* of
index/collections.py, which are a metadata field):

- ``<name>``: one record per chunk (vector, cleaned text, doc id, doc hash, offsets), written
  through llama-index's ``ChromaVectorStore`` and queried with Chroma's own query
  (:meth:`ChromaStore.nearest`, which reads each hit's vector in the same call).
- ``<name>__docs``: one record per document *version* (id ``doc_id@hash``: its record and
  original text), written after all of its chunks.
- ``<name>__releases``: the releases (index/releases.py). A version is *committed* when the
  published release names it. Readers drop chunks whose (doc id, hash) the release they read
  does not name, so staged, retired or half-written versions are never seen; a crash anywhere
  leaves the published release answering, and garbage collection removes what no retained
  release needs.
- ``<name>__collections``: the names of the document collections and the migration marker
  (index/collections.py). Chunks and version records carry a ``collection`` field.

The chunk collection's metadata records the embedding model id and dimension; opening an index
built with another model raises :class:`IndexMismatchError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.collections import CollectionRegistry
from index.errors import IndexMismatchError, StoreUnavailableError
from index.releases import ReleaseLog
from index.store.reads import Reads
from index.store.records import Migrations
from index.store.staging import Staging

SCHEMA_VERSION = 1


def mismatch_message(collection: str, built_with: tuple[Any, Any], model_id: str,
                     dimension: int) -> str:
    """Why an index cannot be read with the configured encoder, and what to set instead."""
    built_model, built_dim = built_with
    if built_model == model_id:
        back = ("point the encoder at the model the index was built with (the same name now "
                "gives other vectors)")
    elif str(built_model).startswith("openai:"):
        back = ("set RAG_EMBEDDING__BACKEND=openai and RAG_EMBEDDING__API_MODEL="
                f"{str(built_model).removeprefix('openai:')!r} (its server)")
    else:
        back = (f"set RAG_EMBEDDING__MODEL back to {built_model!r} (backend 'local', or an "
                "embeddings server declared to run it)")
    return (f"the index {collection!r} was built with embedding model {built_model!r} "
            f"(dimension {built_dim}), but the configured model is {model_id!r} (dimension "
            f"{dimension}). To read it, {back}; or use a new collection "
            "(RAG_STORE__COLLECTION) or data directory to rebuild.")


class ChromaStore(Reads, Staging, Migrations):
    """Chunks and manifest of one index in Chroma. Safe to share between threads.

    One object whose methods live in one mixin per seam (:class:`Reads`, :class:`Staging`,
    :class:`Migrations`) rather than parts it is composed of: every seam works on the same
    Chroma collections and caches (a write resets the chunk count the reads keep, garbage
    collection drops the version records they cached), and :meth:`pinned` views copy the whole
    store, so callers keep one object with one set of attributes. The constructor opens the
    collections, checks the model and runs the migrations."""

    def __init__(self, client: Any, collection: str, model_id: str, dimension: int,
                 pointer_token: Path | None = None) -> None:
        """``pointer_token``: the release pointer's change token file (index.releases), for
        an embedded Chroma whose directory every process shares; None: read the pointer."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.name = collection
        self._client = client
        self.model_id = model_id
        self.dimension = dimension
        try:
            self._chunks = client.get_or_create_collection(
                collection,
                embedding_function=None,
                metadata={
                    "hnsw:space": "cosine",
                    "embedding_model": model_id,
                    "embedding_dim": dimension,
                    "schema_version": SCHEMA_VERSION,
                },
            )
            self._docs = client.get_or_create_collection(
                f"{collection}__docs", embedding_function=None
            )
            self.releases = ReleaseLog(client, f"{collection}__releases", pointer_token)
            self.collections = CollectionRegistry(client, f"{collection}__collections")
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {collection!r}: {exc}") from None
        meta = self._chunks.metadata or {}
        built_with = (meta.get("embedding_model"), meta.get("embedding_dim"))
        if built_with != (model_id, dimension):
            raise IndexMismatchError(mismatch_message(collection, built_with, model_id,
                                                      dimension))
        self.vector_store = ChromaVectorStore(chroma_collection=self._chunks)
        self._start_caches()
        self._migrate()
        self._migrate_collections()
        self._migrate_periods()

    @classmethod
    def existing(cls, client: Any, collection: str) -> "ChromaStore | None":
        """Open an index for inspection without loading its model; None if there is none yet."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        try:
            meta = client.get_collection(collection, embedding_function=None).metadata or {}
        except ChromaNotFound:
            return None
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {collection!r}: {exc}") from None
        return cls(client, collection, str(meta.get("embedding_model")),
                   int(meta.get("embedding_dim") or 0))
