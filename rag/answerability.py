"""The refusal gate: do the retrieved passages answer the question at all?

Retrieval always returns something, so whether to answer is a separate decision, taken before
any generator runs. Two gates share one interface (:class:`RefusalGate`):

- :class:`ModelGate` (the default, ``retrieval.refusal = "model"``): a logistic model over
  :data:`FEATURES` of the evidence, fitted by ``python -m eval.calibrate`` on one benchmark's
  answerable questions and the same questions asked without their gold documents, then checked
  on other sets. The shipped ``rag/refusal_weights.json`` holds the weights, the threshold chosen
  on the fit set and the figures measured on the others. Closeness alone does not separate the
  two groups (a corpus without the answer still holds passages on the same topic); what does is
  whether the question's *distinctive* terms occur in the evidence, which the features measure
  with the keyword index's IDF statistics.
- :class:`ThresholdGate` (``"threshold"``): the best evidence sentence's cosine against
  ``retrieval.min_relevance``; no keyword statistics needed.

A gate's :meth:`score` is what ``Answer.relevance`` reports; the question is refused below
``threshold``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.generators.extractive import ScoredSentence
from rag.linear import LinearModel
from rag.types import Passage
from rag.verify import name_forms, names

# The bundled weights, read from the installed package (retrieval.refusal_weights names another).
DEFAULT_WEIGHTS: Traversable = resources.files("rag") / "refusal_weights.json"

FEATURES = (
    "sentence_dense",  # best cosine of the question and an evidence sentence
    "sentence_lexical",  # share of the question's words in the best-scoring sentence
    "best_lexical",  # the highest such share over all evidence sentences
    "passage_dense",  # cosine of the question and the closest passage
    "idf_coverage",  # idf-weighted share of the question's terms in the best passage
    "union_coverage",  # idf-weighted share of the question's terms found in any passage
    "rarest_found",  # 1 when the question's rarest term occurs in some passage
    "rare_in_sentence",  # idf-weighted share of the question's terms in the best sentences
    "number_gap",  # 1 when the question asks for a quantity or date and no top sentence has one
    "names_any",  # share of the question's names (capitalised words) found in some passage
    "names_best",  # share of them found in the passage of the best-scoring sentence
    "dates_found",  # share of the question's months and years found in some passage
)

# Questions whose answer is a number or a date.
_WANTS_NUMBER = re.compile(
    r"\b(?:how (?:many|much|long|old|far|large|big|high|often)|what (?:year|date|percentage|"
    r"percent|number|proportion|share|rate)|when|which year|in what year)\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
# Month names and their abbreviations ("May" only before a day or year: "may" is also a verb),
# and years.
_DATE = re.compile(
    r"\b(?:(january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?|(may)(?=\s+\d)|((?:19|20)\d\d)\b)",
    re.IGNORECASE)


def dates(text: str) -> set[str]:
    """Months (as three letters) and years named in ``text``: "in October 2023" -> {oct, 2023}."""
    return {m.group(3) or (m.group(1) or m.group(2)).lower()[:3] for m in _DATE.finditer(text)}
TOP_SENTENCES = 3

Terms = Callable[[str], list[str]]
Idf = Callable[[Sequence[str]], dict[str, float]]


class RefusalGate(Protocol):
    threshold: float

    def score(self, question: str, sentences: Sequence[ScoredSentence],
              passages: Sequence[Passage]) -> float:
        """How well the evidence answers ``question``; refused below :attr:`threshold`."""
        ...


@dataclass(frozen=True)
class ThresholdGate:
    """The best evidence sentence's cosine against a fixed threshold."""

    threshold: float

    def score(self, question: str, sentences: Sequence[ScoredSentence],
              passages: Sequence[Passage]) -> float:
        return max((s.dense for s in sentences), default=-1.0)


def features(question: str, sentences: Sequence[ScoredSentence], passages: Sequence[Passage],
             terms: Terms, idf: Idf) -> np.ndarray:
    """One row of :data:`FEATURES` (no encoder call: the sentences are already scored)."""
    if not sentences or not passages:
        return np.zeros(len(FEATURES), dtype=np.float64)
    q_terms = set(terms(question))
    weights = idf(sorted(q_terms))
    total = sum(weights.get(t, 0.0) for t in q_terms) or 1.0

    def covered(found: set[str]) -> float:
        return sum(weights.get(t, 0.0) for t in q_terms & found) / total

    passage_terms = [set(terms(f"{p.title}\n{p.text}")) for p in passages]
    union = set().union(*passage_terms)
    rarest = max(q_terms, key=lambda t: (weights.get(t, 0.0), t), default=None)
    ranked = sorted(sentences, key=lambda s: (-s.score, s.order))
    top = ranked[:TOP_SENTENCES]
    top_terms = set().union(*(terms(s.text) for s in top))
    wants_number = bool(_WANTS_NUMBER.search(question))
    q_names = names(question)
    passage_names = [name_forms(f"{p.title}\n{p.text}") for p in passages]
    best_names = passage_names[ranked[0].passage - 1]
    q_dates = dates(question)
    passage_dates = set().union(*(dates(f"{p.title}\n{p.text}") for p in passages))
    return np.array([
        max(s.dense for s in sentences),
        ranked[0].lexical,
        max(s.lexical for s in sentences),
        max(p.score for p in passages),
        max(covered(t) for t in passage_terms),
        covered(union),
        1.0 if rarest is not None and rarest in union else 0.0,
        covered(top_terms),
        1.0 if wants_number and not any(_DIGIT.search(s.text) for s in top) else 0.0,
        len(q_names & set().union(*passage_names)) / len(q_names) if q_names else 1.0,
        len(q_names & best_names) / len(q_names) if q_names else 1.0,
        len(q_dates & passage_dates) / len(q_dates) if q_dates else 1.0,
    ], dtype=np.float64)


class ModelGate:
    """A fitted logistic model of "the passages answer the question" (see the module doc)."""

    def __init__(self, model: LinearModel, threshold: float, terms: Terms, idf: Idf) -> None:
        self._model = model
        self.threshold = threshold
        self._terms = terms
        self._idf = idf

    def score(self, question: str, sentences: Sequence[ScoredSentence],
              passages: Sequence[Passage]) -> float:
        if not sentences or not passages:
            return 0.0
        row = features(question, sentences, passages, self._terms, self._idf)
        return float(self._model.score(row[None, :])[0])


def load_weights(path: Path | Traversable) -> LinearModel:
    """A refusal weights file, checked against :data:`FEATURES`; it must carry its threshold."""
    from index.errors import ConfigError

    model = LinearModel.load(path, FEATURES, "python -m eval.calibrate --write-weights")
    threshold = model.extra.get("threshold")
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"refusal weights {path} carry no threshold between 0 and 1")
    return model
