"""The free-space check before a write (index.disk_space.ensure_room) and where ingest calls it."""

from __future__ import annotations

import pytest

from index.errors import StorageFullError
from index.disk_space import ensure_room, free_bytes


def test_a_write_needs_its_estimate_plus_the_floor(tmp_path):
    free = free_bytes(tmp_path)
    assert free is not None and free > 10_000_000
    ensure_room(tmp_path, 1_000_000, 1_000_000)  # plenty of room: nothing said
    ensure_room(tmp_path, 0, 10 * free)  # a floor of 0 turns the check off
    with pytest.raises(StorageFullError) as caught:
        ensure_room(tmp_path, free // 2, free)
    message = str(caught.value)
    assert str(tmp_path) in message and "is full" in message
    assert "ingest.min_free_mb" in message and "nothing was written" in message


@pytest.mark.slow
def test_ingest_checks_room_before_each_group_of_writes(tmp_path, embedder):
    """Room is checked before the release starts and before each group is written, with the
    group's estimate; a refusal there stops the sync before its write, leaving the published
    release as it was."""
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The canteen opens at noon on weekdays.\n")
    asked: list[int] = []
    pipeline.ingest.check_room = asked.append
    pipeline.ingest.sync(corpus)
    assert asked[0] == 0 and len(asked) == 2 and asked[1] >= 30 * len("The canteen opens")

    (corpus / "b.txt").write_text("Parking is in lot C after 6 pm.\n")

    def refuse(need: int) -> None:
        if need:
            raise StorageFullError("the disk holding the index is full (test)")

    pipeline.ingest.check_room = refuse
    with pytest.raises(StorageFullError):
        pipeline.ingest.sync(corpus)
    assert sorted(pipeline.store.documents()) == ["a.txt"]
    assert pipeline.store.stored_versions().keys() == {("a.txt", pipeline.store.document(
        "a.txt").content_hash)}
