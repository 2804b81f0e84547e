"""Publishing and rolling back releases (index/releases.py), under the index's write lock.

Both are one upsert of the published pointer: no document is re-read or re-embedded, and the
chunks of every retained release are still stored. Garbage collection follows a publish.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from index.errors import InputError
from index.lock import WriteLock
from index.releases import Release
from index.store import ChromaStore


def _locked(lock: WriteLock | None) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext() if lock is None else lock.hold()


def publish_release(store: ChromaStore, lock: WriteLock | None, release_id: str, *,
                    force: bool = False, retain: int = 5,
                    on_change: Callable[[], object] | None = None) -> Release:
    """Publish ``release_id``. A release the gate held needs ``force``."""
    with _locked(lock):
        release = store.releases.get(release_id)
        store.releases.check_publishable(release)
        if release.status == "held" and not force:
            why = release.gate.get("reason") or "the gold questions got worse"
            raise InputError(f"release {release_id!r} was held by the gate ({why}); see "
                             f"'rag releases show {release_id}'. Publish it anyway with --force "
                             "(HTTP: ?force=true)")
        if not release.is_published:
            release = store.publish(release_id)
        store.collect_garbage(retain=retain, keep=[release_id])
    if on_change is not None:
        on_change()
    return release


def rollback_target(store: ChromaStore, release_id: str | None = None) -> str:
    """The release a rollback goes to: ``release_id`` (checked), else the newest release older
    than the current one that was once published."""
    releases = store.releases.list()
    current = next((r for r in releases if r.is_published), None)
    if release_id is not None:
        target = store.releases.get(release_id)
        store.releases.check_publishable(target)
        if target.status == "held":
            raise InputError(f"release {release_id!r} was held by the gate: it was never "
                             f"published, so it is no rollback target; use 'rag releases "
                             f"publish {release_id} --force' to publish it anyway")
        return release_id
    if current is None:
        raise InputError("nothing is published yet, so there is nothing to roll back")
    earlier = [r for r in releases if r.status == "published" and not r.is_published
               and r.seq < current.seq]
    if not earlier:
        raise InputError(f"no retained release older than {current.release_id!r} was ever "
                         "published: there is nothing to roll back to (see 'rag releases list')")
    return max(earlier, key=lambda r: r.seq).release_id


def rollback(store: ChromaStore, lock: WriteLock | None, release_id: str | None = None, *,
             retain: int = 5, on_change: Callable[[], object] | None = None) -> Release:
    """Publish the previous release (or ``release_id``) again: instant, nothing re-embedded."""
    target = rollback_target(store, release_id)
    return publish_release(store, lock, target, force=True, retain=retain, on_change=on_change)
