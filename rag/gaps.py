"""The knowledge-gap report: what staff asked and did not get, grouped by meaning.

A *miss* is an answer the service gave that did not serve: a refusal (rated or not: a refusal
staff agree with is still a question the documents do not answer) or an answer whose latest
rating is thumbs-down (:meth:`rag.feedback.FeedbackStore.misses`). Misses are grouped by what
they ask: each question (the standalone form, so follow-ups read whole) is embedded with the
service's own encoder, identical questions are merged first, and the rest are clustered with
scikit-learn's agglomerative clustering (average linkage over cosine distance, cut at
``max_distance``: no number of groups is fixed in advance). Each group is labelled by its
medoid, the question most like the others, and carries counts, dates, examples and comments.

A group's id is a short hash of its label, so the same group keeps its id while it grows; an
export (:func:`gold_candidates`) turns a group into ``qa.jsonl`` records for a curator to
complete with answers and gold documents.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from index.errors import InputError, NotFoundError
from rag.feedback import Miss

Embed = Callable[[Sequence[str]], np.ndarray]
DEFAULT_MAX_DISTANCE = 0.35  # cosine distance: questions at similarity >= 0.65 on average group
EXAMPLES = 5
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class GapGroup:
    id: str
    label: str  # the medoid question
    count: int  # misses in the group
    refused: int
    rated_down: int
    first: float  # created_at of the earliest miss (epoch seconds)
    last: float
    examples: tuple[Miss, ...]  # the latest misses, one per distinct question
    questions: tuple[str, ...]  # every distinct question, most asked first
    answer_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "label": self.label, "count": self.count, "refused": self.refused,
            "rated_down": self.rated_down, "first": iso(self.first), "last": iso(self.last),
            "questions": list(self.questions),
            "examples": [{"answer_id": m.answer_id, "question": m.question,
                          "asked": m.original_question, "date": iso(m.created_at),
                          "refused": m.refused, "rating": m.rating, "comment": m.comment,
                          "collections": (None if m.collections is None
                                          else list(m.collections)),
                          "asked_by": m.asked_by}
                         for m in self.examples],
        }


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(value: str | None) -> float | None:
    """``--since`` / ``?since=``: an ISO date or date-time (UTC when no zone is given)."""
    if value is None or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"since must be a date like 2026-11-30 or 2026-11-30T09:00, "
                         f"not {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _key(question: str) -> str:
    return _SPACE.sub(" ", question.strip().lower()).rstrip("?.! ")


def find_gaps(misses: Sequence[Miss], embed: Embed,
              max_distance: float = DEFAULT_MAX_DISTANCE) -> list[GapGroup]:
    """Group ``misses`` by meaning; the largest groups first, then the most recent."""
    if not 0.0 < max_distance < 2.0:
        raise InputError(f"max_distance must be between 0 and 2 (a cosine distance), "
                         f"not {max_distance}")
    by_question: dict[str, list[Miss]] = {}
    for miss in misses:
        by_question.setdefault(_key(miss.question), []).append(miss)
    keys = list(by_question)
    if not keys:
        return []
    texts = [by_question[k][-1].question for k in keys]
    vectors = np.asarray(embed(texts), dtype=np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    labels = _cluster(vectors, max_distance)
    groups = []
    for label in sorted(set(labels)):
        members = [i for i, lab in enumerate(labels) if lab == label]
        groups.append(_group([keys[i] for i in members], vectors[members], by_question))
    return sorted(groups, key=lambda g: (-g.count, -g.last, g.id))


def _cluster(vectors: np.ndarray, max_distance: float) -> list[int]:
    if len(vectors) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                    distance_threshold=max_distance)
    return [int(x) for x in model.fit_predict(vectors)]


def _group(keys: list[str], vectors: np.ndarray, by_question: dict[str, list[Miss]]) -> GapGroup:
    weights = np.array([len(by_question[k]) for k in keys], dtype=np.float64)
    # the medoid: the question most like the others, each weighted by how often it was asked
    medoid = int(np.argmax((vectors @ vectors.T) @ weights))
    label = by_question[keys[medoid]][-1].question
    misses = [m for k in keys for m in by_question[k]]
    order = sorted(keys, key=lambda k: (-len(by_question[k]), k))
    examples = sorted((by_question[k][-1] for k in order), key=lambda m: -m.created_at)
    return GapGroup(
        id=hashlib.sha256(_key(label).encode()).hexdigest()[:10],
        label=label,
        count=len(misses),
        refused=sum(m.refused for m in misses),
        rated_down=sum(m.rating == "down" for m in misses),
        first=min(m.created_at for m in misses),
        last=max(m.created_at for m in misses),
        examples=tuple(examples[:EXAMPLES]),
        questions=tuple(by_question[k][-1].question for k in order),
        answer_ids=tuple(m.answer_id for m in sorted(misses, key=lambda m: m.created_at)),
    )


def find_group(groups: Sequence[GapGroup], group_id: str) -> GapGroup:
    for group in groups:
        if group.id == group_id:
            return group
    raise NotFoundError(f"no knowledge-gap group {group_id!r} (the groups change as staff ask: "
                        "list them again with 'rag gaps' or GET /v1/gaps)")


def gold_candidates(group: GapGroup) -> str:
    """The group's distinct questions as ``qa.jsonl`` lines (see :mod:`eval.dataset`), with
    no answer and no gold document yet: a curator adds them, or marks a question
    ``"answerable": false`` when the documents should not answer it."""
    lines = []
    for n, question in enumerate(group.questions, start=1):
        lines.append(json.dumps({
            "id": f"gap_{group.id}_{n}", "question": question, "answers": [], "doc_ids": [],
            "answerable": True, "source": "gap", "gap": group.id, "needs_review": True,
        }, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)
