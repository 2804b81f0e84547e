"""Ask every gold question through the AnswerService and score each answer."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.dataset import QAItem
from eval.metrics import (
    citation_precision,
    citation_recall,
    contains_gold,
    exact_match,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)
from eval.support import SupportChecker, answer_sentences
from index.errors import InputError
from index.loaders import discover
from rag import time_scope
from rag.question_typing import LABELS
from rag.roles import asks_for_role
from rag.factory import Pipeline, build_nlp, build_pipeline
from rag.settings import Settings
from rag.types import Answer, Turn


def corpus_fingerprint(root: Path) -> str:
    """Hash of every file's relative path and bytes: equal corpora share an eval index."""
    h = hashlib.sha256()
    for path in discover(root):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def index_key(settings: Settings, fingerprint: str) -> str:
    """The eval index folder name: the corpus plus every setting that shapes the index."""
    shape = json.dumps({"embedding": settings.embedding.model,
                        "chunking": settings.chunking.model_dump(),
                        "ingest": settings.ingest.model_dump(mode="json")}, sort_keys=True)
    return f"{fingerprint[:16]}-{hashlib.sha256(shape.encode()).hexdigest()[:8]}"


def eval_pipeline(settings: Settings, corpus: Path) -> tuple[Pipeline, str]:
    """A pipeline over an index of ``corpus`` under ``data_dir/eval/``, reused across runs."""
    if not Path(corpus).is_dir():
        raise InputError(f"corpus folder {corpus} does not exist")
    fingerprint = corpus_fingerprint(corpus)
    data_dir = Path(settings.data_dir) / "eval" / index_key(settings, fingerprint)
    pipeline = build_pipeline(settings.model_copy(update={"data_dir": data_dir}))
    pipeline.ingest.sync(corpus)
    return pipeline, fingerprint


@dataclass(frozen=True)
class CitedPassage:
    n: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass
class QuestionOutcome:
    """One question's answer and its scores (only the scores that apply to it)."""

    id: str
    question: str
    answerable: bool
    tags: list[str]
    gold_answers: list[str]
    gold_doc_ids: list[str]
    answer: str
    refused: bool
    cited: list[CitedPassage]
    retrieved_doc_ids: list[str]
    latency_ms: float
    unsupported_sentences: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    # What the question asks for (rag.question_typing, e.g. "person", "list:place") and the exact
    # answer given ({"text", "citation", "start", "end"}), None when there was none.
    answer_type: str | None = None
    short_answer: dict[str, Any] | None = None
    # The sides when the answer says the sources disagree (rag.types.Side as dicts), else [].
    disagreement: list[dict[str, Any]] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        """Right refusal, or a non-refused answer holding a gold string."""
        if not self.answerable:
            return self.refused
        return bool(self.scores.get("contains_gold"))


def _history(item: QAItem) -> list[Turn]:
    turns = item.extra.get("history") or []
    try:
        return [Turn(role=str(t["role"]), content=str(t["content"])) for t in turns]
    except (TypeError, KeyError):
        raise InputError(f"question {item.id}: history must be a list of "
                         "{'role', 'content'} objects") from None


def score(item: QAItem, answer: Answer, latency_ms: float,
          checker: SupportChecker) -> QuestionOutcome:
    """Everything about one answer except semantic similarity (scored in one batch later)."""
    ranked = [p.doc_id for p in answer.retrieved]
    gold_docs = list(item.doc_ids)
    cited = [CitedPassage(c.n, c.doc_id, c.start, c.end, c.text) for c in answer.citations]
    outcome = QuestionOutcome(
        id=item.id, question=item.question, answerable=item.answerable,
        tags=[str(t) for t in item.extra.get("tags", [])], gold_answers=list(item.answers),
        gold_doc_ids=gold_docs, answer=answer.answer, refused=answer.refused, cited=cited,
        retrieved_doc_ids=list(dict.fromkeys(ranked))[:10], latency_ms=round(latency_ms, 2),
    )
    s = outcome.scores
    asked = answer.standalone_question or item.question
    typed = build_nlp().classify(asked)
    outcome.answer_type = answer.answer_type or typed.name  # a refusal ran no typing stage
    # a position asked for ("What rank did she hold in 1988?") has a short answer too
    role = asks_for_role(typed, asked, time_scope.asked(asked) is not None)
    short = None if answer.refused else answer.short_answer
    outcome.short_answer = None if short is None else asdict(short)
    outcome.disagreement = [] if answer.refused else [asdict(d) for d in answer.disagreement]
    if item.answerable and item.answers and (_typed(outcome.answer_type) or role):
        # Over the questions that ask for an entity: a missing short answer scores 0.
        given = "" if short is None else short.text
        s["short_exact"] = float(exact_match(given, item.answers))
        s["short_f1"] = token_f1(given, item.answers)
        s["short_given"] = float(short is not None)
        s["short_disagreed"] = float(bool(outcome.disagreement))
    if item.answerable and gold_docs:
        s["recall_at_1"] = recall_at_k(ranked, gold_docs, 1)
        s["recall_at_5"] = recall_at_k(ranked, gold_docs, 5)
        s["recall_at_10"] = recall_at_k(ranked, gold_docs, 10)
        s["mrr"] = reciprocal_rank(ranked, gold_docs)
        s["ndcg_at_10"] = ndcg_at_k(ranked, gold_docs, 10)
    text = "" if answer.refused else answer.answer
    if item.answerable and item.answers:  # BEIR-style sets have documents but no answers
        s["contains_gold"] = float(contains_gold(text, item.answers))
        _score_verdict(s, item, answer)
        s["token_f1"] = token_f1(" ".join(t for t, _ in answer_sentences(text)), item.answers)
    if item.answerable and cited and gold_docs:
        s["citation_precision"] = citation_precision([c.doc_id for c in cited], gold_docs)
        s["citation_recall"] = citation_recall([c.doc_id for c in cited], gold_docs)
    if text:
        support = checker.check(text, {c.n: c.text for c in cited})
        if support:
            s["citation_supported"] = sum(x.supported for x in support) / len(support)
            outcome.unsupported_sentences = [x.sentence for x in support if not x.supported]
    return outcome


def _score_verdict(s: dict[str, float], item: QAItem, answer: Answer) -> None:
    """A question whose gold answer is "yes" or "no": whether the yes/no shape's verdict
    (rag.shapes.yes_no) says it (``verdict_right``) or says the other (``verdict_wrong``);
    no verdict (or a refusal) is neither. ``contains_gold`` credits a "yes" anywhere in the
    text and never charges a wrong verdict."""
    gold = {a.strip().lower().rstrip(".") for a in item.answers}
    if not gold or not gold <= {"yes", "no"}:
        return
    said = None if answer.refused or answer.shape is None else answer.shape.verdict
    s["verdict_right"] = float(said in gold)
    s["verdict_wrong"] = float(said is not None and said not in gold)


def _typed(answer_type: str) -> bool:
    """Whether an entity can answer a question of this type ("person", "list:place", ...)."""
    return bool(LABELS.get(answer_type.removeprefix("list:")))


def add_semantic_similarity(pipeline: Pipeline, outcomes: list[QuestionOutcome]) -> None:
    """Cosine (bundled encoder) of each answer and its closest gold string, in one batch.
    A refused answerable question scores 0."""
    todo = [o for o in outcomes if o.answerable and o.gold_answers and not o.refused]
    for o in outcomes:
        if o.answerable and o.gold_answers and o.refused:
            o.scores["semantic_similarity"] = 0.0
    if not todo:
        return
    texts: list[str] = []
    for o in todo:
        texts.append(" ".join(t for t, _ in answer_sentences(o.answer)))
        texts.extend(o.gold_answers)
    vectors = pipeline.embedder.embed(texts)
    row = 0
    for o in todo:
        answer_vec = vectors[row]
        golds = vectors[row + 1: row + 1 + len(o.gold_answers)]
        o.scores["semantic_similarity"] = round(max(float(answer_vec @ g) for g in golds), 4)
        row += 1 + len(o.gold_answers)


def run_questions(pipeline: Pipeline, items: list[QAItem]) -> list[QuestionOutcome]:
    """Ask each question (with its history, if any) the way the API does, and score it."""
    e = pipeline.settings.eval
    checker = SupportChecker(pipeline.embedder, e.support_lexical, e.support_semantic)
    outcomes = []
    for item in items:
        t0 = time.perf_counter()
        answer = pipeline.answers.answer(item.question, _history(item))
        latency = (time.perf_counter() - t0) * 1000
        outcomes.append(score(item, answer, latency, checker))
    add_semantic_similarity(pipeline, outcomes)
    return outcomes
