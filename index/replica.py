"""The release replica: an in-memory, on-disk copy of the published release (its chunks, records,
stored vectors, analysed terms, BM25 matrix and screen verdicts: index/snapshot.py) that dense
search, BM25, the reranker, the sentence selector and the refusal gate read instead of Chroma.

It is a cache derived from the Chroma store, never a second source of truth. **One call**,
:meth:`ReleaseReplica.snapshot`, gives the :class:`~index.snapshot.ReleaseSnapshot` of a release,
or an :class:`Unavailable` saying why it cannot (the caller then reads the store). The call keeps
the replica current: at most every ``check_interval`` seconds it picks up a version another
process wrote and compares a change token, the release pointer (index/releases.py, which every
writer's publish or rollback moves), with the release its version was checked to hold; the
manifest is read only when the token moved, so a replica reading a shared Chroma server notices
another replica's writes within ``check_interval`` seconds. Writers call :meth:`refresh` at the
end of every ingest and delete.

On disk (``directory``, beside the Chroma index under ``data_dir``) each built version is a folder
``v-<state>-<time>`` (bm25s's arrays, ``chunks.jsonl``, ``term_ids.npy``, ``term_offsets.npy``,
``vectors.npy``), written under a temporary name and renamed into place; the file ``CURRENT``
names the live folder and is replaced atomically (temp file + ``os.replace``), so a reader, in
this process or another, always loads a complete version. The folders of the last few states are
kept (``keep_versions``): each is the snapshot of a release, so publishing or rolling back to a
retained release loads it instead of rebuilding. A replica with ``follow_current=False`` reads one
release (the gate's view of a staged one): it builds and keeps its snapshot but never moves
``CURRENT``.

With a :class:`PassageScreen` (the factory gives rag.injection's), every chunk of a version is
judged once, when the version is built or first loaded, and the verdicts are kept beside it as
``screen-<screen version>.npy``. A version of another screen (the deciding code changed) is
judged again; a refresh copies the verdicts of unchanged chunks and judges the rest.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from index.analysis import Analyzer
from index.atomic_files import write_text_atomic
from index.bm25 import Bm25
from index.snapshot import ReleaseSnapshot, TermHits, record_version, state_key
from index.store import DocumentRecord
from index.types import Chunk

FORMAT_VERSION = 3  # 2: accents folded ("López" is "lopez"); 3: chunks' analysed terms kept
STALE_SECONDS = 60.0
VECTOR_BATCH = 2_000  # chunk ids per read of stored vectors when building a version
TERMS_CACHE = 20_000  # analysed texts kept (about 40 MB at 200 terms each)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassageScreen:
    """A yes/no verdict on each chunk (``check(text, title)``), kept per version. ``version``
    names the code that decides: verdicts stored under another version are never used."""

    version: str
    check: Callable[[str, str], bool]


class CommittedSource(Protocol):
    """What the replica reads from the store (``ChromaStore`` provides it)."""

    def documents(self, release: str | None = None) -> dict[str, DocumentRecord]: ...

    def committed_chunks(self, doc_ids: Collection[str],
                         release: str | None = None) -> list[Chunk]: ...

    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (a source without them returns ``{}``)."""
        ...

    def release_id(self) -> str | None:
        """The change token: the published (or pinned) release, which every writer's publish
        or rollback moves (one small read)."""
        ...


@dataclass(frozen=True)
class Unavailable:
    """The replica cannot give the snapshot of the release asked for: ``reason`` says why.
    ``latest`` is the version it holds, right for reads keyed by chunk id and for BM25 whose
    hits the caller checks against the release (index/snapshot.py)."""

    reason: str
    latest: ReleaseSnapshot


@dataclass(frozen=True)
class _Held:
    """The live version and the release it was checked to hold (None: not checked)."""

    snapshot: ReleaseSnapshot
    release: str | None


class ReleaseReplica:
    """The replica of the published (or one pinned) release, persisted under ``directory``.
    Safe to share between threads."""

    def __init__(self, directory: Path, stemmer_language: str | None = "english",
                 k1: float = 1.5, b: float = 0.75, check_interval: float = 2.0,
                 follow_current: bool = True, keep_versions: int = 8,
                 screen: PassageScreen | None = None) -> None:
        self.directory = Path(directory)
        self._screen = screen
        self._analyzer = Analyzer(stemmer_language)
        # The reranker, the sentence selector and the gate analyse the same candidates'
        # texts question after question: each text is analysed once while it stays in use.
        self._analysed = functools.lru_cache(maxsize=TERMS_CACHE)(self._analyzer.terms)
        self._params = {"k1": k1, "b": b, "stemmer": stemmer_language or "",
                        "format": FORMAT_VERSION}
        self._check_interval = check_interval
        self._follow = follow_current
        self._keep = keep_versions
        self._lock = threading.Lock()
        empty = ReleaseSnapshot.build([], {}, self._analyzer, k1, b,
                                      flags=self._verdicts([], None))
        self._held = _Held(empty, None)
        self._loaded_version: str | None = None
        self._last_check = -float("inf")
        self._load_current()

    # ---- the one call ---------------------------------------------------------------------

    def snapshot(self, store: CommittedSource,
                 release: str | None) -> ReleaseSnapshot | Unavailable:
        """The snapshot of ``release`` (the caller's read of the pointer), or why there is
        none. First the cheap check (:meth:`_check`); then the live version is that release's
        when it was checked to hold it, which a version stays for up to ``check_interval``
        seconds after another process moved the pointer."""
        self._check(store, release)
        held = self._held
        if release is None:
            return Unavailable("no release is published", held.snapshot)
        if held.release != release:
            return Unavailable(f"the replica holds release {held.release}, not {release} "
                               f"(checked every {self._check_interval} s)", held.snapshot)
        return held.snapshot

    def latest(self) -> ReleaseSnapshot:
        """The live version, whichever release it holds (reads keyed by chunk id, statistics)."""
        return self._held.snapshot

    # ---- statistics of the live version (reranker, gate, selector, near-duplicates) -------

    def chunk_count(self) -> int:
        return len(self._held.snapshot.chunks)

    def terms(self, text: str) -> list[str]:
        """``text`` analysed exactly as the replica analyses chunks."""
        return list(self._analysed(text))

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        return self._held.snapshot.idf(terms)

    def title_terms(self, title: str) -> frozenset[str]:
        """The distinct terms of ``title`` (analysed as chunks are), from the live version
        when one of its chunks has that title."""
        found = self._held.snapshot.titles.get(title)
        return found if found is not None else frozenset(self._analysed(title))

    def matches(self, q_terms: Sequence[str], chunk_ids: Sequence[str]) -> TermHits:
        """Where the (analysed) terms ``q_terms`` occur in each chunk's analysed text, from the
        live version's stored term ids (rag.rerank.Matches); a chunk it lacks is not held."""
        return self._held.snapshot.matches(q_terms, chunk_ids)

    def shingles(self, chunk: Chunk) -> frozenset[int]:
        """The chunk's 3-grams of analysed terms, from the live version's stored term ids when
        it holds the chunk, else analysed here."""
        return self._held.snapshot.shingles(chunk)

    # ---- keeping current ------------------------------------------------------------------

    def _check(self, store: CommittedSource, release: str | None) -> None:
        """At most every ``check_interval`` seconds, pick up a version another process wrote,
        and refresh only when the change token moved: the release ``release`` (the caller's
        read of the pointer, else one read here) is not the one the live version was checked
        against. The manifest is never re-read to find out."""
        now = time.monotonic()
        if now - self._last_check < self._check_interval:
            return
        self._last_check = now
        if self._follow:
            self._load_current()
        token = release if release is not None else store.release_id()
        if token is not None and token == self._held.release:
            return
        self._refresh(store, token)

    def refresh(self, store: CommittedSource) -> bool:
        """Bring the replica up to the store's published (or pinned) release; return True if
        it changed. Only documents whose committed version changed are read back from the
        store, in batches."""
        return self._refresh(store, store.release_id())

    def _refresh(self, store: CommittedSource, release: str | None) -> bool:
        """:meth:`refresh` to the state of ``release`` (None: whatever the pointer names, no
        release checked); the version made live is checked to hold ``release``."""
        documents = store.documents(release) if release is not None else store.documents()
        state = {d.doc_id: d.content_hash for d in documents.values()}
        versions = {d.doc_id: record_version(d) for d in documents.values()}
        with self._lock:
            old = self._held.snapshot
            if versions == old.versions:
                self._held = _Held(old, release)
                return False
            adopted = self._adopt(versions)
            if adopted is not None:
                self._held = _Held(adopted, release)
                return True
            changed = {d for d, v in versions.items() if old.versions.get(d) != v}
            fresh = ((store.committed_chunks(changed, release) if release is not None
                      else store.committed_chunks(changed)) if changed else [])
            kept = [c for c in old.chunks
                    if state.get(c.doc_id) == c.doc_hash and c.doc_id not in changed]
            # A document committed after documents() was read is picked up by the next refresh.
            fresh = [c for c in fresh if state.get(c.doc_id) == c.doc_hash]
            chunks = sorted(kept + fresh, key=lambda c: (c.doc_id, c.index))
            snapshot = ReleaseSnapshot.build(
                chunks, documents, self._analyzer, self._params["k1"], self._params["b"],
                _release_vectors(chunks, old, store, changed), self._verdicts(chunks, old))
            try:
                self._persist(snapshot)
            except OSError as exc:  # e.g. a full disk: keep answering from memory
                log.warning("the keyword index could not be saved (%s); it is served from "
                            "memory and saved at the next change", exc)
            self._held = _Held(snapshot, release)
            return True

    def _verdicts(self, chunks: Sequence[Chunk],
                  old: ReleaseSnapshot | None) -> np.ndarray | None:
        """The screen's verdict on each of ``chunks`` (None without a screen): copied from
        ``old`` for a chunk it holds with the same text and title (the same object, for a kept
        document), judged for the rest."""
        if self._screen is None:
            return None
        check = self._screen.check
        before = old if old is not None and old.flags is not None else None

        def verdict(c: Chunk) -> bool:
            if before is not None and (i := before.row.get(c.chunk_id)) is not None:
                was = before.chunks[i]
                if was.text == c.text and was.title == c.title:
                    return bool(before.flags[i])  # type: ignore[index]
            return check(c.text, c.title)

        return np.fromiter(map(verdict, chunks), dtype=bool, count=len(chunks))

    # ---- persistence ----------------------------------------------------------------------

    def _pointer(self) -> Path:
        return self.directory / "CURRENT"

    def _adopt(self, versions: dict[str, str]) -> ReleaseSnapshot | None:
        """A kept snapshot of exactly this state (a release published or rolled back to), made
        current; None when there is none."""
        key = state_key(versions)
        for folder in sorted(self.directory.glob(f"v-{key}-*"), reverse=True):
            try:
                snapshot = self._read(folder)
            except (OSError, ValueError, KeyError):
                continue
            if snapshot.versions != versions:
                continue
            if self._follow:
                write_text_atomic(self._pointer(), json.dumps({"version": folder.name}))
                self._loaded_version = folder.name
            return snapshot
        return None

    def _persist(self, snapshot: ReleaseSnapshot) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        version = f"v-{snapshot.key}-{time.time_ns()}"
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.directory))
        try:
            _write_version(tmp, snapshot, self._params, self._screen)
            os.replace(tmp, self.directory / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if self._follow:
            write_text_atomic(self._pointer(), json.dumps({"version": version}))
            self._loaded_version = version
        self._collect(version)

    def _collect(self, version: str) -> None:
        """Versions another process may still be loading (or has just written) are left alone
        for a while, and the newest ``keep_versions`` (recent releases) are kept; anything
        else is garbage."""
        cutoff = time.time() - STALE_SECONDS
        try:
            current = json.loads(self._pointer().read_text())["version"]
        except (OSError, ValueError, KeyError):
            current = version
        folders = sorted(self.directory.glob("v-*"), key=lambda p: p.stat().st_mtime)
        kept = {p.name for p in folders[-self._keep:]} | {version, current}
        for old in [*folders, *self.directory.glob(".tmp-*")]:
            try:
                if old.name not in kept and old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
            except OSError:
                pass

    def _load_current(self) -> None:
        """Load the version ``CURRENT`` names, unless it is already loaded or unusable; it is
        checked against a release again (it may be older than the one last checked)."""
        try:
            version = json.loads(self._pointer().read_text())["version"]
        except (OSError, ValueError, KeyError):
            return
        if version == self._loaded_version:
            return
        try:
            snapshot = self._read(self.directory / version)
        except (OSError, ValueError, KeyError):
            self._held = _Held(self._held.snapshot, None)
            return  # replaced or removed meanwhile, or other parameters: refresh rebuilds it
        with self._lock:
            self._held = _Held(snapshot, None)
            self._loaded_version = version

    def _read(self, folder: Path) -> ReleaseSnapshot:
        with open(folder / "chunks.jsonl", encoding="utf-8") as f:
            head = json.loads(f.readline())
            if head["params"] != self._params:
                raise ValueError("built with other parameters")
            chunks = [Chunk(**json.loads(line)) for line in f]
        documents = {m["doc_id"]: DocumentRecord.from_metadata(m) for m in head["documents"]}
        bm25 = Bm25.load(folder / "bm25", empty=not chunks)
        # Memory-mapped: pages of chunks no question reaches stay on disk.
        term_ids = np.load(folder / "term_ids.npy", mmap_mode="r")
        offsets = np.load(folder / "term_offsets.npy")
        vectors = (np.load(folder / "vectors.npy", mmap_mode="r")
                   if (folder / "vectors.npy").exists() else None)
        flags = None
        if self._screen is not None:
            stored = folder / _screen_file(self._screen)
            try:
                flags = np.load(stored)
                if flags.shape != (len(chunks),):
                    raise ValueError("the screen's verdicts do not match the chunks")
            except (OSError, ValueError, EOFError):  # another screen's, or none: judge now
                flags = self._verdicts(chunks, None)
                _save_quietly(stored, flags)
        return ReleaseSnapshot(chunks, documents, bm25, self._analyzer, term_ids, offsets,
                               vectors, flags)


def _write_version(folder: Path, snapshot: ReleaseSnapshot, params: dict[str, object],
                   screen: PassageScreen | None) -> None:
    """Every file of ``snapshot``'s version into ``folder`` (the chunks' file last, synced)."""
    snapshot.bm25.save(folder / "bm25")
    np.save(folder / "term_ids.npy", snapshot.term_ids)
    np.save(folder / "term_offsets.npy", snapshot.offsets)
    if snapshot.vectors is not None:
        np.save(folder / "vectors.npy", snapshot.vectors)
    if snapshot.flags is not None and screen is not None:
        np.save(folder / _screen_file(screen), snapshot.flags)
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"params": params, "state": snapshot.state,
                            "documents": [d.to_metadata() for d in
                                          snapshot.documents.values()]}) + "\n")
        for c in snapshot.chunks:
            f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _screen_file(screen: PassageScreen) -> str:
    return f"screen-{re.sub(r'[^0-9A-Za-z_.-]', '_', screen.version)}.npy"


def _save_quietly(path: Path, array: np.ndarray | None) -> None:
    """Keep ``array`` at ``path`` (whole or not at all); a reader that cannot write (a read-only
    replica, a full disk) keeps it in memory only."""
    if array is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, array)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        log.info("the screen's verdicts could not be kept at %s (%s)", path, exc)


def _release_vectors(chunks: Sequence[Chunk], old: ReleaseSnapshot, store: CommittedSource,
                     changed: Collection[str]) -> np.ndarray | None:
    """The vectors of ``chunks``, row by row: those of unchanged documents that ``old`` holds
    copied, the rest read from the store in batches; None when the store lacks any (retrieval
    then reads them from Chroma)."""
    if not chunks:
        return None
    need = [c.chunk_id for c in chunks
            if old.vectors is None or c.doc_id in changed or c.chunk_id not in old.row]
    read: dict[str, np.ndarray] = {}
    for i in range(0, len(need), VECTOR_BATCH):
        read.update(store.chunk_vectors(need[i:i + VECTOR_BATCH]))
    if len(read) < len(need):
        return None
    dim = (len(next(iter(read.values()))) if read else
           old.vectors.shape[1] if old.vectors is not None else 0)
    out = np.empty((len(chunks), dim), dtype=np.float32)
    for i, c in enumerate(chunks):
        vector = read.get(c.chunk_id)
        if vector is None:
            vector = old.vectors[old.row[c.chunk_id]]  # type: ignore[index]
        if len(vector) != dim:
            return None  # vectors of another model: never mixed
        out[i] = vector
    return out
