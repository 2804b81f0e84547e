"""The feedback store records who asked and who rated (issue #26: per person), and a store made
before sign-in existed opens with its rows intact."""

from __future__ import annotations

import sqlite3

from rag.feedback import FeedbackStore
from rag.gaps import find_gaps
from rag.types import Answer


def answer(question: str, refused: bool) -> Answer:
    return Answer(question=question, answer="" if refused else "Seven days [1].", citations=[],
                  refused=refused, prompt_version="test", generator="extractive")


def test_who_asked_and_who_rated_are_kept(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    refused = store.record_answer(answer("How do I claim travel costs?", True), ("hr",),
                                  "alice@example.org")
    given = store.record_answer(answer("How many days of leave?", False), None, "kiosk")
    store.add_feedback(given, "down", "wrong year", None, "bob@example.org")
    misses = {m.answer_id: m for m in store.misses()}
    assert misses[refused].asked_by == "alice@example.org"
    assert misses[given].asked_by == "kiosk"
    rated = store.recent()
    assert [(r.given_by, r.asked_by) for r in rated] == [("bob@example.org", "kiosk")]
    groups = find_gaps(store.misses(), lambda texts: [[1.0, 0.0] for _ in texts], 0.5)
    asked = {e["asked_by"] for g in groups for e in g.to_dict()["examples"]}
    assert asked == {"alice@example.org", "kiosk"}


def test_a_store_from_before_sign_in_keeps_its_rows(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE answers (answer_id TEXT PRIMARY KEY, created_at REAL NOT NULL,
            question TEXT NOT NULL, standalone_question TEXT NOT NULL, answer TEXT NOT NULL,
            refused INTEGER NOT NULL, doc_ids TEXT NOT NULL, prompt_version TEXT NOT NULL);
        CREATE TABLE feedback (feedback_id TEXT PRIMARY KEY, answer_id TEXT NOT NULL,
            created_at REAL NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL);
        INSERT INTO answers VALUES ('old', 1.0, 'q?', 'q?', '', 1, '[]', 'v1');
        INSERT INTO feedback VALUES ('f1', 'old', 2.0, 'down', 'no answer');
    """)
    db.commit()
    db.close()
    store = FeedbackStore(path)
    [miss] = store.misses()
    assert (miss.answer_id, miss.asked_by, miss.rating) == ("old", None, "down")
    assert store.recent()[0].given_by is None
    store.add_feedback("old", "up", given_by="carol@example.org")
    assert store.recent()[0].given_by == "carol@example.org"
