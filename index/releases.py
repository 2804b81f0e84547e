"""Releases: the published states of a whole index, stored in Chroma beside it.

A *release* says which version (content hash) of each document answers. Document versions are
copy-on-write: chunks and the version record (``<name>__docs``, id ``doc_id@hash``) of a version
are written once and shared by every release that names it. A release is one record of the
``<name>__releases`` collection whose document is its manifest (doc id -> [hash, near-duplicate
group]); the record ``__published__`` names the release that answers. Publishing or rolling back
is one upsert of that record, so every process and replica (embedded or Chroma server) switches
at once, and a process killed at any moment leaves either the old or the new release published.

Statuses stored on a release: ``staging`` (being written), ``staged`` (complete, not published),
``held`` (the gate refused it), ``published`` (it has been published; the pointer tells whether
it still is, else it is shown as ``retired``), ``abandoned`` (a staging that died) and
``collected`` (garbage-collected: the record stays as a tombstone, its manifest is gone).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import InputError, NotFoundError, StoreUnavailableError

log = logging.getLogger(__name__)

POINTER_ID = "__published__"
# A pointer read through the change token is trusted for at most this long (seconds): the
# bound on staleness if a writer died between moving the pointer and writing the token.
POINTER_RECHECK = 1.0
_REPORT = "report:"
_KIND_RELEASE, _KIND_POINTER, _KIND_REPORT = "release", "pointer", "report"
_DUMMY = [1.0]  # Chroma wants a vector per record; releases are never searched
# Entry of a manifest: [content hash, near-duplicate group], or with the document's date and its
# source after them when a sync dated a version indexed before dates were kept (index/dates.py:
# a version's record never changes, so the release carries the date).
Manifest = dict[str, list[str]]
LIVE = frozenset({"staged", "held", "published"})  # statuses whose manifest is kept


@dataclass
class Release:
    release_id: str
    seq: int
    status: str  # as stored (see the module docstring); ``state`` adds the pointer's view
    created_at: float
    base: str | None = None  # the release published when this one was staged
    scope: str = "the whole index"
    published_at: float | None = None
    documents: int = 0
    chunks: int = 0
    summary: dict[str, Any] = field(default_factory=dict)  # what the ingest changed
    gate: dict[str, Any] = field(default_factory=dict)  # the gate's outcome, if it ran
    note: str = ""
    is_published: bool = False

    @property
    def state(self) -> str:
        if self.is_published:
            return "published"
        return "retired" if self.status == "published" else self.status

    def to_metadata(self) -> dict[str, Any]:
        return {"kind": _KIND_RELEASE, "release_id": self.release_id, "seq": self.seq,
                "status": self.status, "created_at": self.created_at,
                "base": self.base or "", "scope": self.scope,
                "published_at": float(self.published_at or 0.0),
                "documents": self.documents, "chunks": self.chunks,
                "summary": json.dumps(self.summary), "gate": json.dumps(self.gate),
                "note": self.note}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any], pointer: str | None) -> "Release":
        rid = str(meta["release_id"])
        return cls(release_id=rid, seq=int(meta.get("seq", 0)), status=str(meta["status"]),
                   created_at=float(meta.get("created_at", 0.0)),
                   base=str(meta.get("base") or "") or None,
                   scope=str(meta.get("scope") or "the whole index"),
                   published_at=float(meta.get("published_at") or 0.0) or None,
                   documents=int(meta.get("documents", 0)), chunks=int(meta.get("chunks", 0)),
                   summary=json.loads(str(meta.get("summary") or "{}")),
                   gate=json.loads(str(meta.get("gate") or "{}")),
                   note=str(meta.get("note") or ""), is_published=rid == pointer)

    def to_public(self) -> dict[str, Any]:
        return {"release_id": self.release_id, "seq": self.seq, "state": self.state,
                "created_at": _iso(self.created_at), "published_at": _iso(self.published_at),
                "base": self.base, "scope": self.scope, "documents": self.documents,
                "chunks": self.chunks, "changes": self.summary.get("ids", {}),
                "summary": {k: v for k, v in self.summary.items() if k != "ids"},
                "gate": self.gate, "note": self.note}


def _iso(t: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None


class ReleaseLog:
    """The ``<name>__releases`` collection: release records, the published pointer and the
    gate reports. Safe to share between threads (manifests of finished releases are cached:
    they never change)."""

    def __init__(self, client: Any, name: str, token: Path | None = None) -> None:
        self.name = name
        # The pointer's change token: a file every publish and rollback rewrites after moving
        # the pointer (embedded Chroma only: every process using it shares the directory).
        # A query reads it (~10 us) and reads the pointer from Chroma (~1 ms) only when it
        # changed: (token text, pointer, monotonic time of the read).
        self._token = token
        self._known: tuple[str, str | None, float] | None = None
        # The token file's identity when its text was last read (inode, size, times): the
        # text is read again only when they change (a writer replaces the file).
        self._seen: tuple[tuple[int, ...], str] | None = None
        try:
            self._col = client.get_or_create_collection(name, embedding_function=None)
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {name!r}: {exc}") from None
        self._manifests: dict[str, Manifest] = {}
        self._created: dict[str, str | None] = {}

    # ---- the pointer ----------------------------------------------------------------------

    def pointer(self) -> str | None:
        """The id of the published release, None before the first publish: read from Chroma,
        unless the change token is unchanged since the last read (less than
        ``POINTER_RECHECK`` seconds ago)."""
        if self._token is None:
            return self._read_pointer()
        mark = self._mark()
        known, now = self._known, time.monotonic()
        if (mark is not None and known is not None and known[0] == mark
                and now - known[2] < POINTER_RECHECK):
            return known[1]
        value = self._read_pointer()  # read after the token: a newer token means a new read
        if mark is not None:
            self._known = (mark, value, now)
        return value

    def _mark(self) -> str | None:
        """The change token's text; a token is made when there is none yet (an index last
        published before tokens existed): made before the pointer is read, and only if no
        writer made one first. None: no token can be read or made here (read-only)."""
        assert self._token is not None
        try:
            st = os.stat(self._token)
            identity = (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            seen = self._seen
            if seen is not None and seen[0] == identity:
                return seen[1]
            text = self._token.read_text(encoding="utf-8")
            self._seen = (identity, text)
            return text
        except FileNotFoundError:
            pass
        except OSError:
            return None
        mark = f"- {uuid.uuid4().hex}\n"
        try:
            fd = os.open(self._token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # a writer (or another reader) made it meanwhile
            try:
                return self._token.read_text(encoding="utf-8")
            except OSError:
                return None
        except OSError:
            return None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(mark)
        except OSError:  # e.g. a full disk: no token, so nothing is trusted from one
            return None
        return mark

    def _read_pointer(self) -> str | None:
        page = self._col.get(ids=[POINTER_ID], include=["metadatas"])
        if not page["ids"]:
            return None
        return str(page["metadatas"][0]["release_id"]) or None

    def set_pointer(self, release_id: str) -> None:
        """The atomic switch: one upsert of one record; then the change token is rewritten,
        so readers of this directory read the new pointer on their next query."""
        self._col.upsert(ids=[POINTER_ID], embeddings=[_DUMMY], documents=[""],
                         metadatas=[{"kind": _KIND_POINTER, "release_id": release_id,
                                     "at": time.time()}])
        self._known = None
        if self._token is not None:
            from index.atomic_files import write_text_atomic

            try:
                write_text_atomic(self._token, f"{release_id} {uuid.uuid4().hex}\n")
            except OSError as exc:  # readers see the move within POINTER_RECHECK seconds
                log.warning("the release pointer's change token %s could not be written "
                            "(%s): other processes see release %s within %.0f s", self._token,
                            exc, release_id, POINTER_RECHECK)

    # ---- releases -------------------------------------------------------------------------

    def list(self) -> list[Release]:
        page = self._col.get(where={"kind": _KIND_RELEASE}, include=["metadatas"])
        pointer = self.pointer()
        releases = [Release.from_metadata(m, pointer) for m in page["metadatas"] or []]
        return sorted(releases, key=lambda r: r.seq)

    def get(self, release_id: str) -> Release:
        page = self._col.get(ids=[release_id], include=["metadatas"])
        metas = [m for m in page["metadatas"] or [] if m.get("kind") == _KIND_RELEASE]
        if not metas:
            known = [r.release_id for r in self.list()[-5:]]
            hint = f" (recent: {', '.join(known)})" if known else " (there are none yet)"
            raise NotFoundError(f"no release {release_id!r}{hint}; see 'rag releases list'")
        return Release.from_metadata(metas[0], self.pointer())

    def created_at(self, release_id: str) -> str | None:
        """When the release's corpus state was made (ISO 8601, UTC), None for an unknown one.
        Immutable once a release exists, so cached: an answer names it at no extra read."""
        if release_id not in self._created:
            page = self._col.get(ids=[release_id], include=["metadatas"])
            metas = [m for m in page["metadatas"] or [] if m.get("kind") == _KIND_RELEASE]
            if not metas:
                return None
            self._created[release_id] = _iso(float(metas[0].get("created_at", 0.0)))
        return self._created[release_id]

    def finished(self, release_id: str) -> bool:
        """Whether ``release_id``'s manifest was read and can no longer change (a release past
        staging)."""
        return release_id in self._manifests

    def manifest(self, release_id: str) -> Manifest:
        cached = self._manifests.get(release_id)
        if cached is not None:
            return cached
        page = self._col.get(ids=[release_id], include=["metadatas", "documents"])
        if not page["ids"]:
            raise NotFoundError(f"no release {release_id!r}; see 'rag releases list'")
        meta = page["metadatas"][0]
        if meta.get("status") == "collected":
            raise NotFoundError(f"release {release_id!r} was garbage-collected (only the last "
                                "releases.retain releases are kept); it cannot be read or "
                                "published")
        manifest = json.loads(page["documents"][0] or "{}")
        if meta.get("status") != "staging":
            self._manifests[release_id] = manifest
        return manifest

    def create(self, base: str | None, scope: str, note: str = "") -> Release:
        """A new release in status ``staging``, numbered after every existing one."""
        while True:
            seq = max((r.seq for r in self.list()), default=0) + 1
            release = Release(release_id=f"r{seq}", seq=seq, status="staging",
                              created_at=time.time(), base=base, scope=scope, note=note)
            nonce = uuid.uuid4().hex
            meta = {**release.to_metadata(), "nonce": nonce}
            existing = self._col.get(ids=[release.release_id], include=[])["ids"]
            if existing:
                continue
            try:
                self._col.add(ids=[release.release_id], embeddings=[_DUMMY], documents=["{}"],
                              metadatas=[meta])
            except Exception:  # noqa: BLE001  (a concurrent writer took the id: try the next)
                continue
            got = self._col.get(ids=[release.release_id], include=["metadatas"])
            if got["metadatas"] and got["metadatas"][0].get("nonce") == nonce:
                return release  # another writer did not take the same number meanwhile

    def save(self, release: Release, manifest: Manifest | None = None) -> None:
        """Write a release's record (and its manifest when given)."""
        kwargs: dict[str, Any] = {}
        if manifest is not None:
            kwargs["documents"] = [json.dumps(manifest, separators=(",", ":"))]
        self._col.upsert(ids=[release.release_id], embeddings=[_DUMMY],
                         metadatas=[release.to_metadata()],
                         **(kwargs or {"documents": [self._document(release.release_id)]}))
        if manifest is not None and release.status != "staging":
            self._manifests[release.release_id] = manifest

    def _document(self, release_id: str) -> str:
        page = self._col.get(ids=[release_id], include=["documents"])
        return (page["documents"] or ["{}"])[0] or "{}"

    def drop_manifest(self, release: Release) -> None:
        """Turn a release into a tombstone (``collected``)."""
        release.status = "collected"
        self._col.upsert(ids=[release.release_id], embeddings=[_DUMMY], documents=["{}"],
                         metadatas=[release.to_metadata()])
        self._manifests.pop(release.release_id, None)
        self._col.delete(ids=[f"{_REPORT}{release.release_id}"])

    def delete(self, release_id: str) -> None:
        self._col.delete(ids=[release_id, f"{_REPORT}{release_id}"])
        self._manifests.pop(release_id, None)

    def check_publishable(self, release: Release) -> None:
        if release.status == "collected":
            raise InputError(f"release {release.release_id!r} was garbage-collected (only the "
                             "last releases.retain releases are kept): it cannot be published")
        if release.status in ("staging", "abandoned"):
            raise InputError(f"release {release.release_id!r} is {release.status}: it was never "
                             "completed and cannot be published")

    # ---- gate reports ---------------------------------------------------------------------

    def put_report(self, release_id: str, report: dict[str, Any], html: str) -> None:
        """The gate's report of a release (JSON and its HTML page), readable by every replica."""
        self._col.upsert(ids=[f"{_REPORT}{release_id}"], embeddings=[_DUMMY],
                         documents=[json.dumps({"report": report, "html": html})],
                         metadatas=[{"kind": _KIND_REPORT, "release_id": release_id}])

    def report(self, release_id: str) -> tuple[dict[str, Any], str] | None:
        page = self._col.get(ids=[f"{_REPORT}{release_id}"], include=["documents"])
        if not page["ids"]:
            return None
        data = json.loads(page["documents"][0] or "{}")
        return data.get("report") or {}, str(data.get("html") or "")
