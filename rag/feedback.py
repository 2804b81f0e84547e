"""Answers given and the feedback on them, kept durably in SQLite (``data_dir/feedback.sqlite3``).

Every answer the HTTP service gives is recorded with an ``answer_id``; feedback (thumbs up or
down, an optional comment) names that id, so it is always tied to the exact question, answer and
cited documents. ``export_gold`` turns rated answers into candidate gold Q&A pairs in the eval
suite's ``qa.jsonl`` format. SQLite in WAL mode lets several worker processes write at once; each
write is one transaction, so a crash leaves every record whole or absent.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from index.errors import InputError, NotFoundError
from rag.sqlite import SqliteFile
from rag.types import Answer

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    question TEXT NOT NULL,
    standalone_question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    doc_ids TEXT NOT NULL,
    prompt_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    feedback_id TEXT PRIMARY KEY,
    answer_id TEXT NOT NULL REFERENCES answers(answer_id),
    created_at REAL NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id);
"""


@dataclass(frozen=True)
class GoldCandidate:
    """One rated answer as a ``qa.jsonl`` record (see :mod:`eval.dataset`)."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]
    answerable: bool
    rating: Rating
    comment: str
    original_question: str
    prompt_version: str
    release: str | None = None  # the corpus release the rated answer came from

    def to_json(self) -> str:
        return json.dumps({
            "id": self.id, "question": self.question, "answers": list(self.answers),
            "doc_ids": list(self.doc_ids), "answerable": self.answerable,
            "source": "feedback", "rating": self.rating, "comment": self.comment,
            "original_question": self.original_question, "prompt_version": self.prompt_version,
            "release": self.release,
        }, ensure_ascii=False)


@dataclass(frozen=True)
class Miss:
    """An answer that did not serve: refused, or rated down last (see :mod:`rag.gaps`)."""

    answer_id: str
    created_at: float
    question: str  # the standalone question
    original_question: str
    refused: bool
    rating: Rating | None  # the latest rating, if any
    comment: str
    collections: tuple[str, ...] | None = None  # asked over these (None: every collection)
    asked_by: str | None = None  # the person or key's name (None: before sign-in existed)


@dataclass(frozen=True)
class Rated:
    """One rating with the answer it rates (the admin page's feedback list)."""

    feedback_id: str
    created_at: float
    rating: Rating
    comment: str
    answer_id: str
    question: str
    answer: str
    refused: bool
    doc_ids: tuple[str, ...]
    release: str | None
    given_by: str | None = None  # who rated it (a person or a key's name)
    asked_by: str | None = None


class FeedbackStore:
    """The SQLite file of answers and feedback. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = SqliteFile(self.path, _SCHEMA, "feedback store")
        self._connect = self._db.transaction
        with self._connect() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(answers)")}
            if "release" not in columns:  # a store made before releases: add the column
                db.execute("ALTER TABLE answers ADD COLUMN release TEXT")
            if "collections" not in columns:  # before collections: NULL, asked over all
                db.execute("ALTER TABLE answers ADD COLUMN collections TEXT")
            if "asked_by" not in columns:  # before sign-in: NULL, nobody recorded
                db.execute("ALTER TABLE answers ADD COLUMN asked_by TEXT")
            rated = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            if "given_by" not in rated:
                db.execute("ALTER TABLE feedback ADD COLUMN given_by TEXT")

    def record_answer(self, answer: Answer, collections: tuple[str, ...] | None = None,
                      asked_by: str | None = None) -> str:
        """Remember an answer, the collections it was asked over (None: every one) and who
        asked (a person, or a key's name); return its new ``answer_id``."""
        answer_id = uuid.uuid4().hex
        doc_ids = list(dict.fromkeys(c.doc_id for c in answer.citations))
        standalone = getattr(answer, "standalone_question", None) or answer.question
        with self._connect() as db:
            db.execute(
                "INSERT INTO answers (answer_id, created_at, question, standalone_question, "
                "answer, refused, doc_ids, prompt_version, release, collections, asked_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, time.time(), answer.question, standalone, answer.answer,
                 int(answer.refused), json.dumps(doc_ids), answer.prompt_version,
                 getattr(answer, "release", None),
                 None if collections is None else json.dumps(sorted(collections)), asked_by),
            )
        return answer_id

    def add_feedback(self, answer_id: str, rating: Rating, comment: str = "",
                     visible: tuple[str, ...] | None = None,
                     given_by: str | None = None) -> str:
        """Store a rating of an earlier answer; return the feedback id. A caller that sees only
        ``visible`` collections may rate only answers asked over some of those: any other
        answer is "no answer" exactly like a missing one."""
        if rating not in ("up", "down"):
            raise InputError(f"rating must be 'up' or 'down', not {rating!r}")
        feedback_id = uuid.uuid4().hex
        with self._connect() as db:
            row = db.execute("SELECT collections FROM answers WHERE answer_id = ?",
                             (answer_id,)).fetchone()
            if row is None or not within(row[0], visible):
                raise NotFoundError(f"no answer with id {answer_id!r}: send the answer_id "
                                    "returned with the answer")
            db.execute("INSERT INTO feedback (feedback_id, answer_id, created_at, rating, "
                       "comment, given_by) VALUES (?, ?, ?, ?, ?, ?)",
                       (feedback_id, answer_id, time.time(), rating, comment.strip(), given_by))
        return feedback_id

    def recent(self, limit: int = 50, visible: tuple[str, ...] | None = None) -> list[Rated]:
        """The latest ratings, newest first, each with its answer (only answers asked over
        ``visible`` collections, when given)."""
        query = """
            SELECT f.feedback_id, f.created_at, f.rating, f.comment, a.answer_id, a.question,
                   a.answer, a.refused, a.doc_ids, a.release, a.collections, f.given_by,
                   a.asked_by
            FROM feedback f JOIN answers a ON a.answer_id = f.answer_id
            ORDER BY f.created_at DESC
        """
        out: list[Rated] = []
        with self._connect() as db:
            for row in db.execute(query):
                if not within(row[10], visible):
                    continue
                out.append(Rated(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                 bool(row[7]), tuple(json.loads(row[8])), row[9], row[11],
                                 row[12]))
                if len(out) >= limit:
                    break
        return out

    def count(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall()
        return {"up": 0, "down": 0} | {r: n for r, n in rows}

    def misses(self, since: float | None = None,
               visible: tuple[str, ...] | None = None) -> list[Miss]:
        """Refused answers and answers whose latest rating is down, oldest first (only those
        asked over ``visible`` collections, when given)."""
        query = """
            SELECT a.answer_id, a.created_at, a.standalone_question, a.question, a.refused,
                   f.rating, f.comment, a.collections, a.asked_by
            FROM answers a LEFT JOIN feedback f ON f.answer_id = a.answer_id
                AND f.created_at = (SELECT MAX(created_at) FROM feedback g
                                    WHERE g.answer_id = a.answer_id)
            WHERE a.created_at >= ? AND (a.refused = 1 OR f.rating = 'down')
            ORDER BY a.created_at
        """
        with self._connect() as db:
            rows = db.execute(query, (since if since is not None else 0.0,)).fetchall()
        return [Miss(answer_id, created, standalone, question, bool(refused), rating,
                     comment or "", tuple(json.loads(colls)) if colls else None, asked_by)
                for answer_id, created, standalone, question, refused, rating, comment, colls,
                asked_by in rows if within(colls, visible)]

    def liked_questions(self, limit: int = 4,
                        visible: tuple[str, ...] | None = None) -> list[str]:
        """The latest distinct questions whose answer was given and last rated up (examples
        for the chat page's greeting), of answers asked over ``visible`` collections only."""
        query = """
            SELECT a.standalone_question, a.collections FROM feedback f JOIN answers a
                ON a.answer_id = f.answer_id
            WHERE a.refused = 0 AND f.rating = 'up'
              AND f.created_at = (SELECT MAX(created_at) FROM feedback g
                                  WHERE g.answer_id = f.answer_id)
            ORDER BY f.created_at DESC
        """
        with self._connect() as db:
            rows = db.execute(query).fetchall()
        seen: dict[str, str] = {}
        for question, colls in rows:
            if not within(colls, visible):
                continue
            seen.setdefault(" ".join(question.lower().split()), question)
        return list(seen.values())[:limit]

    def export_gold(self, rating: Rating | Literal["any"] = "up") -> Iterator[GoldCandidate]:
        """Rated answers as candidate gold pairs, the latest rating of each answer winning.

        A thumbs-up answer becomes a pair whose gold answer is the answer text (markers removed)
        and whose gold documents are the cited ones; a thumbs-up refusal becomes an unanswerable
        question. Thumbs-down answers (``rating="down"`` or ``"any"``) carry no gold answer: they
        are questions for a person to review, with the comment saying what was wrong.
        """
        query = """
            SELECT a.answer_id, a.question, a.standalone_question, a.answer, a.refused,
                   a.doc_ids, a.prompt_version, f.rating, f.comment, a.release
            FROM feedback f JOIN answers a ON a.answer_id = f.answer_id
            WHERE f.created_at = (SELECT MAX(created_at) FROM feedback g
                                  WHERE g.answer_id = f.answer_id)
            ORDER BY f.created_at
        """
        with self._connect() as db:
            rows = db.execute(query).fetchall()
        for (answer_id, question, standalone, text, refused, doc_ids, version, rate, comment,
             release) in rows:
            if rating != "any" and rate != rating:
                continue
            good = rate == "up"
            yield GoldCandidate(
                id=f"feedback_{answer_id}",
                question=standalone,
                answers=(_without_markers(text),) if good and not refused else (),
                doc_ids=tuple(json.loads(doc_ids)) if good else (),
                answerable=not (good and refused),
                rating=rate,
                comment=comment,
                original_question=question,
                prompt_version=version,
                release=release,
            )


def within(stored: str | None, visible: tuple[str, ...] | None) -> bool:
    """Whether an answer asked over ``stored`` (JSON list; NULL: every collection) is one a
    caller seeing ``visible`` (None: every collection) may see."""
    if visible is None:
        return True
    if stored is None:
        return False
    return set(json.loads(stored)) <= set(visible)


def _without_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text).strip()


def feedback_path(data_dir: Path) -> Path:
    return Path(data_dir) / "feedback.sqlite3"
