"""One sync, whoever embeds: the steps ``rag ingest`` runs in-process
(:meth:`index.ingest.IngestService.sync`) and the queue's coordinator runs around its workers
(``rag ingest --queue``, cli/queue_commands.py):

1. **plan** (:func:`plan_sync`): the files the scope owns, and the published release's versions
   of the collection's documents they are compared with; a staged release is begun from it.
2. **index the documents**: load, chunk and embed each new or changed one, store its version and
   put it into the staged release. The one step that differs: in-process (``IngestService``) or
   one Celery job per document on the workers (index/queue.py), given to :func:`run_sync`.
3. **remove the gone** (:func:`remove_gone`): the collection's documents the folder no longer has,
   and the attachments of a mail (index/attachments.py) it no longer carries or that went with it.
4. **finish the release** (:func:`finish_sync`, :func:`finish_release`): near-duplicate groups
   recomputed, the release staged or published, garbage collected, the sync recorded.

All of it under the index's write lock, touching only the documents of the sync's scope.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.attachments import parent_of
from index.collections import DEFAULT, key_for
from index.errors import InputError
from index.faults import checkpoint
from index.loaders import discover, doc_id_for
from index.lock import WriteLock, publishing
from index.near_dup import DEFAULT_THRESHOLD, Signature, duplicate_groups
from index.scope import Scope
from index.store import ChromaStore, DocumentRecord, StagedRelease


@dataclass
class SyncReport:
    """What one sync did, by document id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # unchanged files whose versions were indexed before dates were kept, dated by this release
    dated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc id -> reason
    chunks_written: int = 0
    seconds: float = 0.0
    release: str | None = None  # the release staged (or, when nothing changed, the published one)
    outcome: str = "unchanged"  # "published", "staged" (left to the caller), "unchanged"

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.dated)

    def summary(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "dated": len(self.dated),
            "failed": len(self.failed),
            "failures": [{"doc_id": k, "reason": v} for k, v in sorted(self.failed.items())],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
            "ids": {"added": self.added, "updated": self.updated, "deleted": self.deleted},
            "release": self.release,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class SyncRequest:
    """Which folder to sync into which collection, and how the release ends."""

    root: Path
    scope: Scope = Scope()
    collection: str = DEFAULT
    note: str = ""  # the release's note
    delete_missing: bool = True  # remove the collection's documents gone from the folder
    publish: bool = True  # else the release is left staged (for the caller's gate)


@dataclass
class SyncPlan:
    """What a sync works on, made against the published release when it begins."""

    root: Path
    base: Path  # what the files' doc ids are relative to
    collection: str
    files: dict[str, Path]  # doc id (its key in the collection) -> file, those the scope owns
    stage: StagedRelease  # the release being written, begun from the published one
    committed: dict[str, DocumentRecord]  # the release's versions of those in scope and collection
    report: SyncReport = field(default_factory=SyncReport)
    # documents step 2 gave an outcome for that are no files: a mail's attachments
    seen: set[str] = field(default_factory=set)

    def changed(self, doc_id: str) -> None:
        """Report a new version of ``doc_id``: updated when the release had it, else added."""
        (self.report.updated if doc_id in self.committed else self.report.added).append(doc_id)


IndexDocuments = Callable[[SyncPlan], None]  # step 2: fills the plan's stage and report


def corpus_base(root: Path) -> Path:
    """What doc ids under ``root`` are relative to (InputError when it does not exist)."""
    if not root.exists():
        raise InputError(f"corpus path {root} does not exist")
    return root if root.is_dir() else root.parent


def run_sync(store: ChromaStore, lock: WriteLock | None, request: SyncRequest,
             index_documents: IndexDocuments, *, threshold: float, retain: int,
             started: float) -> SyncReport:
    """Make the index match ``request.root`` as one release: plan, index the documents (the
    caller's way), remove the gone, finish the release. ``started``: when the sync began
    (``time.perf_counter()``), for the report's seconds."""
    with locked(lock, request.scope):
        plan = plan_sync(store, request)
        index_documents(plan)
        remove_gone(plan, request.delete_missing)
        finish_sync(store, lock, plan, request, threshold=threshold, retain=retain,
                    started=started)
    return plan.report


def plan_sync(store: ChromaStore, request: SyncRequest) -> SyncPlan:
    """The files the scope owns and the published versions they are compared with; the staged
    release is begun. The caller holds the write lock."""
    root, scope, collection = request.root, request.scope, request.collection
    base = corpus_base(root)
    store.collections.ensure(collection)
    files = {}
    for path in discover(root):
        doc_id = key_for(collection, doc_id_for(path, base))
        if scope.owns(doc_id):
            files[doc_id] = path
    stage = store.begin_release(scope.describe(), note=request.note)
    committed = {k: v for k, v in store.version_records(stage.manifest).items()
                 if scope.owns(k) and v.collection == collection}
    return SyncPlan(root, base, collection, files, stage, committed)


def remove_gone(plan: SyncPlan, delete_missing: bool) -> None:
    """Remove from the release the collection's documents (in scope) the folder no longer has;
    only when syncing a folder, and unless told not to. A mail's attachment is a child of the
    mail: it goes when the mail has gone or no longer carries it (step 2 gave it no outcome),
    and stays as it was when the mail could not be read this time."""
    failed = plan.report.failed
    if delete_missing and plan.root.is_dir():
        for doc_id in sorted(set(plan.committed) - set(plan.files) - plan.seen):
            if (parent := parent_of(plan.committed[doc_id].extra)) and parent in failed:
                continue
            plan.stage.remove(doc_id)
            plan.report.deleted.append(doc_id)


def finish_sync(store: ChromaStore, lock: WriteLock | None, plan: SyncPlan,
                request: SyncRequest, *, threshold: float, retain: int, started: float) -> None:
    """Finish the sync's release (:func:`finish_release`) and record the sync (``rag status``).
    The caller holds the write lock."""
    report = plan.report
    report.seconds = time.perf_counter() - started
    finish_release(store, lock, plan.stage, report, publish=request.publish,
                   scope=request.scope, threshold=threshold, retain=retain)
    report.seconds = time.perf_counter() - started
    store.record_sync(report.summary())


def finish_release(store: ChromaStore, lock: WriteLock | None, stage: StagedRelease,
                   report: SyncReport, *, publish: bool, scope: Scope, threshold: float,
                   retain: int) -> None:
    """Complete the staged release (or drop it when nothing changed), publish it when asked,
    and collect garbage. The caller holds the write lock."""
    owns = None if scope.is_everything else scope.owns
    if not report.changed:
        store.releases.delete(stage.release_id)
        report.release, report.outcome = stage.release.base, "unchanged"
        store.collect_garbage(owns, retain=retain)
        return
    merge = None if scope.is_everything else (lambda doc_id: not scope.owns(doc_id))
    with publishing(lock if merge is not None else None):
        if merge is not None:
            store.rebase(stage, merge)
        refresh_stage_duplicates(store, stage, threshold)
        release = store.finish_release(stage, report.summary())
        report.release = release.release_id
        if publish:
            store.publish(release.release_id)
            report.outcome = "published"
        else:
            report.outcome = "staged"
    store.collect_garbage(owns, retain=retain, keep=[release.release_id])


def refresh_stage_duplicates(store: ChromaStore, stage: StagedRelease,
                             threshold: float = DEFAULT_THRESHOLD) -> int:
    """Recompute the near-duplicate groups over the staged release's documents; return how
    many documents changed group."""
    records = store.version_records(stage.manifest)
    signatures = {doc_id: sig for doc_id, rec in records.items()
                  if (sig := Signature.decode(rec.signature)) is not None}
    groups = duplicate_groups(signatures, threshold)
    changed = 0
    for doc_id, entry in stage.manifest.items():
        group = groups.get(doc_id, doc_id)
        if entry[1] != group:
            entry[1] = group
            changed += 1
    checkpoint("dup_group_set")
    return changed


def locked(lock: WriteLock | None, scope: Scope) -> contextlib.AbstractContextManager[None]:
    """The write lock held for ``scope`` (nothing when there is no lock)."""
    return contextlib.nullcontext() if lock is None else lock.hold(scope)
