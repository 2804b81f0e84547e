"""Overlapping ingest scopes refuse each other; disjoint ones run at once (index/scope.py's
``Scope.overlaps`` and index/scope_registry.py, under real file locks and real processes)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import main
from index.errors import IndexBusyError
from index.lock import WriteLock
from index.scope import Scope
from tests.helpers import ROOT, make_settings

SCOPES = [Scope(), Scope("a/"), Scope("a/b/"), Scope("a/c/"), Scope("b/"), Scope("a"),
          Scope("ab/"), Scope(shard=(0, 2)), Scope(shard=(1, 2)), Scope(shard=(1, 4)),
          Scope(shard=(2, 4)), Scope(shard=(0, 3)), Scope("a/", (0, 2)), Scope("a/", (1, 2)),
          Scope("b/", (0, 2)), Scope("a/b/", (1, 2))]
IDS = [f"{folder}doc-{i}.txt" for folder in ("", "a/", "a/b/", "a/c/", "b/", "ab/", "abc-")
       for i in range(400)]


@pytest.mark.parametrize(("one", "other", "overlap"), [
    (Scope("a/"), Scope("a/b/"), True),  # nested partitions: the defect this guards against
    (Scope("a/"), Scope("b/"), False),
    (Scope("a/"), Scope("a/"), True),
    (Scope("a"), Scope("ab/"), True),  # ids are matched as strings: 'a' owns 'ab/x'
    (Scope(), Scope("b/"), True),  # the whole index overlaps everything
    (Scope(shard=(0, 2)), Scope(shard=(1, 2)), False),
    (Scope(shard=(1, 2)), Scope(shard=(1, 2)), True),  # the same shard twice
    (Scope(shard=(0, 2)), Scope(shard=(1, 4)), False),  # odd CRCs are never even
    (Scope(shard=(0, 2)), Scope(shard=(2, 4)), True),
    (Scope(shard=(0, 2)), Scope(shard=(1, 3)), True),  # gcd 1: some CRC is both
    (Scope("a/"), Scope(shard=(0, 2)), True),  # partition vs shard: not provably disjoint
    (Scope("a/", (0, 2)), Scope("b/", (0, 2)), False),
    (Scope("a/", (0, 2)), Scope("a/b/", (1, 2)), False),
])
def test_overlap_rules(one: Scope, other: Scope, overlap: bool):
    assert one.overlaps(other) is overlap
    assert other.overlaps(one) is overlap


def test_overlap_is_exact_on_real_ids():
    """Disjoint means no id is owned by both; overlapping means some id is (on 2,800 ids)."""
    for one, other in itertools.combinations_with_replacement(SCOPES, 2):
        shared = [i for i in IDS if one.owns(i) and other.owns(i)]
        assert one.overlaps(other) is bool(shared), (one, other, shared[:3])


def test_scope_round_trips_through_its_registry_entry():
    for scope in SCOPES:
        assert Scope.from_json(scope.to_json()) == scope


HOLDER = """
import sys
from pathlib import Path
from index.lock import WriteLock
from index.scope import Scope
shard = tuple(int(x) for x in sys.argv[4].split("/")) if sys.argv[4] else None
lock = WriteLock(Path(sys.argv[1]), sys.argv[2], allow_partitions=True)
with lock.hold(Scope(sys.argv[3], shard)):
    print("held", flush=True)
    sys.stdin.read()
"""


class Holder:
    """Another process holding a scope of an index's lock until stopped."""

    def __init__(self, lock_dir: Path, index: str, prefix: str = "", shard: str = "") -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_dir), index, prefix,
                                      shard], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "held":
            raise AssertionError(f"holder did not start: {line!r} {self.proc.stderr.read()}")

    def release(self) -> None:
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def test_a_running_scope_refuses_overlapping_ones_and_admits_disjoint_ones(tmp_path: Path):
    lock = WriteLock(tmp_path / "locks", "idx", allow_partitions=True)
    holder = Holder(tmp_path / "locks", "idx", "a/")
    try:
        with pytest.raises(IndexBusyError) as caught:
            with lock.hold(Scope("a/b/")):
                pass
        message = str(caught.value)
        assert message.startswith("cannot ingest prefix 'a/b/': it overlaps prefix 'a/'")
        assert f"pid {holder.proc.pid} on " in message and "disjoint" in message
        with pytest.raises(IndexBusyError, match=r"^cannot ingest prefix 'a/': it overlaps"):
            lock.check(Scope("a/"))
        with pytest.raises(IndexBusyError, match=rf"being written by another process \(prefix "
                                                 rf"'a/': pid {holder.proc.pid} on "):
            lock.check(Scope())  # the whole index waits for every scoped writer
        with lock.hold(Scope("b/")):  # disjoint: runs beside 'a/'
            with pytest.raises(IndexBusyError, match="it overlaps prefix 'b/'"):
                lock.check(Scope("b/x/"))
        lock.check(Scope("b/x/"))  # 'b/' was released
    finally:
        holder.kill()
    # The holder died without releasing (SIGKILL): its entry is stale and no longer blocks.
    with lock.hold(Scope("a/b/")):
        entries = list((tmp_path / "locks" / "idx.scopes").glob("*.json"))
        assert len(entries) == 1 and str(os.getpid()) in entries[0].name
    assert list((tmp_path / "locks" / "idx.scopes").glob("*.json")) == []


def test_disjoint_shards_run_at_once_and_the_same_shard_twice_does_not(tmp_path: Path):
    lock = WriteLock(tmp_path / "locks", "idx", allow_partitions=True)
    holder = Holder(tmp_path / "locks", "idx", shard="0/2")
    try:
        lock.check(Scope(shard=(1, 2)))
        lock.check(Scope(shard=(1, 4)))
        for overlapping in (Scope(shard=(0, 2)), Scope(shard=(2, 4)), Scope("a/")):
            with pytest.raises(IndexBusyError, match=rf"^cannot ingest {overlapping.describe()}: "
                                                     r"it overlaps shard 0/2"):
                lock.check(overlapping)
    finally:
        holder.release()
    lock.check(Scope(shard=(0, 2)))


RACER = """
import sys, time
from pathlib import Path
from index.errors import IndexBusyError
from index.lock import WriteLock
from index.scope import Scope
lock = WriteLock(Path(sys.argv[1]), "idx", allow_partitions=True)
go = Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
try:
    with lock.hold(Scope(sys.argv[2])):
        print("won", flush=True)
        time.sleep(2)
except IndexBusyError:
    print("refused", flush=True)
"""


def test_of_overlapping_claims_made_at_once_exactly_one_wins(tmp_path: Path):
    go = tmp_path / "go"
    prefixes = ["a/", "a/b/", "a/b/c/", "a/"]
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(tmp_path / "locks"), p, str(go)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True) for p in prefixes]
    time.sleep(1.0)  # let them import and wait at the line
    go.touch()
    outcomes = [r.communicate(timeout=60)[0].strip() for r in racers]
    assert sorted(outcomes) == ["refused", "refused", "refused", "won"], outcomes


def test_cli_refuses_an_overlapping_partition_with_exit_2(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_STORE__MODE", "server")  # scoped writers share an index only there
    settings = make_settings(tmp_path / "data")
    from rag.factory import build_lock

    lock = build_lock(settings)
    corpus = tmp_path / "corpus"
    (corpus / "a" / "b").mkdir(parents=True)
    (corpus / "a" / "b" / "x.txt").write_text("words")
    holder = Holder(lock.lock_dir, lock.index_name, "a/")
    try:
        code = main(["--data-dir", str(tmp_path / "data"), "ingest", str(corpus),
                     "--partition", "a/b/"])
    finally:
        holder.release()
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("rag: error: cannot ingest prefix 'a/b/': it overlaps prefix 'a/'"), err
    assert "Traceback" not in err
