"""The Chroma store of one index (see :mod:`index.store.chroma_store` for its collections).

Cut along its seams: ``records`` (what a version's record holds, and the migrations of older
indexes), ``client`` (the Chroma client and its HTTP timeouts), ``staging`` (writes, staged
releases, publishing, garbage collection) and ``reads`` (reads at a release and their caches).
:class:`ChromaStore` (``chroma_store``) is one object made of those parts; every public name is
imported from here.
"""

from index.store.chroma_store import SCHEMA_VERSION, ChromaStore, mismatch_message
from index.store.client import bound_http_waits, make_client
from index.store.reads import RELEASES_REMEMBERED, hits_from_query
from index.store.records import DocumentRecord, version_id
from index.store.staging import StagedRelease

__all__ = [
    "RELEASES_REMEMBERED",
    "SCHEMA_VERSION",
    "ChromaStore",
    "DocumentRecord",
    "StagedRelease",
    "bound_http_waits",
    "hits_from_query",
    "make_client",
    "mismatch_message",
    "version_id",
]
