"""`rag watch`: each burst of changes to a folder becomes exactly one release (OS notifications
through watchfiles, and the polling fallback)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from cli.watch import watch_folder
from rag.factory import build_pipeline

pytestmark = pytest.mark.slow


def wait_until(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout  # a hang guard, not a timing assertion
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("poll", [False, True], ids=["notify", "poll"])
def test_each_burst_becomes_one_release(tmp_path: Path, settings, embedder, poll: bool):
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "orchards.txt").write_text("Orchards\n\nThe orchards grow apples and pears.\n")
    (folder / "harbours.txt").write_text("Harbours\n\nThe harbours shelter fishing boats.\n")
    pipeline = build_pipeline(settings, embedder=embedder)
    outcomes: list[tuple[str, dict]] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch_folder, args=(settings, folder), kwargs={
        "pipeline": pipeline, "interval": 0.2, "debounce": 0.8, "poll": poll, "stop": stop,
        "max_bursts": 2, "on_outcome": lambda o, r: outcomes.append((o, r.summary()))})
    thread.start()
    try:
        wait_until(lambda: len(outcomes) == 1, "the first sync")
        assert outcomes[0][0] == "published" and outcomes[0][1]["added"] == 2

        # burst 1: a file added and another changed, together
        (folder / "railways.txt").write_text("Railways\n\nThe railways run through winter.\n")
        (folder / "orchards.txt").write_text("Orchards\n\nThe orchards now grow plums too.\n")
        wait_until(lambda: len(outcomes) == 2, "the first burst")
        outcome, summary = outcomes[1]
        assert outcome == "published" and summary["release"] == "r2"
        assert (summary["added"], summary["updated"], summary["deleted"]) == (1, 1, 0)

        # burst 2: one deleted, one added, one changed
        (folder / "harbours.txt").unlink()
        (folder / "canals.txt").write_text("Canals\n\nThe canals carry barges of grain.\n")
        (folder / "railways.txt").write_text("Railways\n\nThe railways run through summer.\n")
        wait_until(lambda: len(outcomes) == 3, "the second burst")
        outcome, summary = outcomes[2]
        assert outcome == "published" and summary["release"] == "r3"
        assert (summary["added"], summary["updated"], summary["deleted"]) == (1, 1, 1)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert [r.release_id for r in pipeline.store.releases.list()] == ["r1", "r2", "r3"]
    assert sorted(pipeline.store.documents()) == ["canals.txt", "orchards.txt", "railways.txt"]
