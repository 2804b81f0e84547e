"""The feedback store (real SQLite) and `rag feedback export` as candidate gold pairs."""

from __future__ import annotations

import json
import sqlite3

import pytest

from eval.dataset import load_qa
from index.errors import InputError, NotFoundError
from rag.feedback import FeedbackStore, feedback_path
from tests.helpers import run_cli as rag

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def test_export_rated_answers_as_gold_candidates(tmp_path, seeded):
    data = tmp_path / "data"
    store = FeedbackStore(feedback_path(data))
    good = seeded.answers.answer(NOVEMBER)
    refused = seeded.answers.answer("What is the capital of Canada?")
    bad = seeded.answers.answer("Who met the Mexican president?")
    good_id, refused_id, bad_id = (store.record_answer(a) for a in (good, refused, bad))
    store.add_feedback(good_id, "down", "first click was a mistake")
    store.add_feedback(good_id, "up", "right number")  # the latest rating wins
    store.add_feedback(refused_id, "up")
    store.add_feedback(bad_id, "down", "should name Blinken")
    assert store.count() == {"up": 2, "down": 2}
    with pytest.raises(NotFoundError):
        store.add_feedback("missing", "up")
    with pytest.raises(InputError):
        store.add_feedback(good_id, "sideways")  # type: ignore[arg-type]

    out = tmp_path / "candidates.jsonl"
    done = rag("feedback", "export", "--out", str(out), data_dir=data, netlog=tmp_path / "n.txt")
    assert done.returncode == 0, done.stderr
    items = {i.id: i for i in load_qa(out)}  # the eval suite reads it as it is
    assert set(items) == {f"feedback_{good_id}", f"feedback_{refused_id}"}
    gold = items[f"feedback_{good_id}"]
    assert gold.question == NOVEMBER and gold.answerable
    assert "191,000" in gold.answers[0] and "[1]" not in gold.answers[0]
    assert gold.doc_ids == tuple(dict.fromkeys(c.doc_id for c in good.citations))
    assert gold.extra["comment"] == "right number"
    assert items[f"feedback_{refused_id}"].answerable is False

    review = rag("feedback", "export", "--rating", "down", data_dir=data,
                 netlog=tmp_path / "n.txt")
    rows = [json.loads(line) for line in review.stdout.splitlines()]
    assert [r["id"] for r in rows] == [f"feedback_{bad_id}"]
    assert rows[0]["comment"] == "should name Blinken" and rows[0]["answers"] == []


def test_store_survives_reopening_and_uses_wal(tmp_path, seeded):
    path = tmp_path / "fb.sqlite3"
    answer_id = FeedbackStore(path).record_answer(seeded.answers.answer(NOVEMBER))
    FeedbackStore(path).add_feedback(answer_id, "up")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1


def test_export_without_feedback_says_so(tmp_path):
    done = rag("feedback", "export", data_dir=tmp_path / "none", netlog=tmp_path / "n.txt")
    assert done.returncode == 2 and "no feedback yet" in done.stderr
