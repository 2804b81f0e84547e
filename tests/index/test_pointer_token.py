"""The release pointer's change token (index.releases.ReleaseLog): a query reads a small file
instead of the pointer from Chroma while nothing moved it, and every publish or rollback is
seen by the next query of every process sharing the directory. Real embedded Chroma; the
cross-process test runs a second Python process that moves the pointer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import index.releases as releases
from index.releases import ReleaseLog
from index.store import make_client


def _logs(tmp_path: Path, token: Path | None) -> tuple[ReleaseLog, ReleaseLog]:
    client = make_client("embedded", tmp_path / "data")
    return ReleaseLog(client, "c__releases", token), ReleaseLog(client, "c__releases", token)


def _counting(log: ReleaseLog) -> list[int]:
    reads = [0]
    read = log._read_pointer

    def counted():
        reads[0] += 1
        return read()

    log._read_pointer = counted  # type: ignore[method-assign]
    return reads


def test_a_move_is_seen_at_once_and_nothing_else_reads_chroma(tmp_path):
    token = tmp_path / "data" / "c.pointer"
    writer, reader = _logs(tmp_path, token)
    reads = _counting(reader)
    assert reader.pointer() is None and token.exists()  # a token is made for the first read
    writer.set_pointer("r1")
    assert reader.pointer() == "r1"
    for _ in range(20):
        assert reader.pointer() == "r1"
    assert reads[0] == 2  # the first read, and the one after the move: no others
    writer.set_pointer("r2")  # a publish ...
    assert reader.pointer() == "r2"
    writer.set_pointer("r1")  # ... and a rollback, each seen by the very next read
    assert reader.pointer() == "r1"
    assert reads[0] == 4


def test_a_writer_that_died_before_the_token_is_seen_within_the_recheck(tmp_path, monkeypatch):
    token = tmp_path / "data" / "c.pointer"
    writer, reader = _logs(tmp_path, token)
    writer.set_pointer("r1")
    assert reader.pointer() == "r1"
    monkeypatch.setattr(releases, "POINTER_RECHECK", 0.2)
    tokenless = ReleaseLog(make_client("embedded", tmp_path / "data"), "c__releases", None)
    tokenless.set_pointer("r2")  # the pointer moved, the token did not
    deadline = time.monotonic() + 5  # a hang guard, not a timing assertion
    while reader.pointer() != "r2":
        assert time.monotonic() < deadline, "the stale pointer was never re-read"
        time.sleep(0.05)


def test_an_unwritable_token_falls_back_to_reading_the_pointer(tmp_path):
    token = tmp_path / "no-such-dir" / "sub" / "c.pointer"  # its directory does not exist
    client = make_client("embedded", tmp_path / "data")
    reader = ReleaseLog(client, "c__releases", token)
    reads = _counting(reader)
    ReleaseLog(client, "c__releases").set_pointer("r1")
    assert reader.pointer() == "r1" and reader.pointer() == "r1"
    assert reads[0] == 2  # no token: every read goes to Chroma


@pytest.mark.slow  # a second Python process
def test_another_process_moving_the_pointer_is_seen_by_the_next_read(tmp_path):
    token = tmp_path / "data" / "c.pointer"
    _, reader = _logs(tmp_path, token)
    assert reader.pointer() is None
    script = textwrap.dedent(f"""
        from pathlib import Path
        from index.releases import ReleaseLog
        from index.store import make_client
        log = ReleaseLog(make_client("embedded", Path({str(tmp_path / "data")!r})),
                         "c__releases", Path({str(token)!r}))
        log.set_pointer("r7")
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2],
                   timeout=120)
    assert reader.pointer() == "r7"
