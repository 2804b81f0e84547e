"""The refusal gate: do the retrieved passages answer the question at all?

Retrieval always returns something, so whether to answer is a separate decision, taken before
any generator runs. Two gates share one interface (:class:`RefusalGate`):

- :class:`ModelGate` (the default, ``retrieval.refusal = "model"``): a logistic model over
  :data:`FEATURES` of the evidence, fitted by ``python -m fitting.calibrate`` on one benchmark's
  answerable questions and the same questions asked without their gold documents, then checked
  on other sets. The shipped ``rag/refusal_weights.json`` holds the weights, the threshold chosen
  on the fit set and the figures measured on the others. Closeness alone does not separate the
  two groups (a corpus without the answer still holds passages on the same topic); what does is
  whether the question's *distinctive* terms occur in the evidence, which the features measure
  with the release replica's BM25 IDF statistics, and (from answer typing, :class:`rag.question_typing.Nlp`,
  run on the question and the :data:`TOP_SENTENCES` best evidence sentences only) whether those
  sentences hold an entity of the type asked for, state the asked attribute next to one, and
  name the question's own entities: a question about another person, place or year than the
  documents' (an *entity-swapped* question) finds the topic but not its entity.
- :class:`ThresholdGate` (``"threshold"``): the best evidence sentence's cosine against
  ``retrieval.min_relevance``; no keyword statistics needed.

A gate's :meth:`score` is what ``Answer.relevance`` reports; the question is refused below
``threshold``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol

import numpy as np

from rag import time_scope
from rag.question_typing import AnswerType, Entity, Nlp, same_unit
from rag.generators.extractive import ScoredSentence
from rag.linear import LinearModel
from rag.types import Passage
from index.analysis import fold_accents
from rag.sentences import STOPWORDS
from rag.grounding import name_forms, names
from rag.selection import is_table_row
from rag.table_cells import cell_for
from rag.kind_needs import (KIND_FEATURES, KIND_NEUTRAL, kind_features, kind_of, steps_given,
                            subject_words)

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
    # From answer typing (rag.question_typing; NER runs on the question and the top sentences only):
    "typed_entity",  # typed question: an entity of an expected label, not named in the
    #                  question, in a top sentence (1 for questions no entity answers)
    "attribute_stated",  # the asked attribute (the question's focus noun: "budget",
    #                      "population") in a top sentence near a candidate entity (1: no focus)
    "entities_passage",  # share of the question's entities found in the top sentences' passages
    "entities_sentence",  # share of them found in the top sentences themselves
    "entities_any",  # share of them found in any passage
    "key_entity",  # 1 when the question's rarest entity (by IDF) is in the top sentences' passages
    "figure_missing",  # a count, measure, money or percent question and no such figure (of the
    #                    asked unit, for a measure) in the top sentences
    *KIND_FEATURES,  # what each kind of question needs (rag.kind_needs)
)
NLP_FEATURES = FEATURES[12:]
# Their values when no spaCy pipeline is given: nothing found missing.
NLP_NEUTRAL = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, *KIND_NEUTRAL)
# The flags that refuse whatever the model's score when a weights file names none ("hard").
DEFAULT_HARD = ("figure_missing",)

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


@functools.lru_cache(maxsize=1 << 13)
def dates(text: str) -> frozenset[str]:
    """Months (as three letters) and years named in ``text``: "in October 2023" -> {oct, 2023}.
    Cached: passages come back question after question."""
    return frozenset(m.group(3) or (m.group(1) or m.group(2)).lower()[:3]
                     for m in _DATE.finditer(text))

TOP_SENTENCES = 3
FIGURE_KINDS = frozenset({"count", "quantity", "money", "percent"})
_SPAN_OF_TIME = re.compile(r"\b(?:seconds?|minutes?|hours?|days?|nights?|weeks?|fortnights?|"
                           r"months?|years?|decades?|century|centuries)\b", re.IGNORECASE)
# A span of time that dates rather than measures: "in the last 24 hours", "in recent days" say
# when something happened, not how long it lasted; "for the past three years" still measures.
_WINDOW = re.compile(r"^(?:the\s+)?(?:last|past|next|coming|previous|recent|these|this|"
                     r"earlier|later)\b", re.IGNORECASE)


def measures_time(entity: Entity, tokens: Sequence[str]) -> bool:
    """Whether an entity answers "how long": a span of time ("two hours", "for the past three
    years"), not a date, nor a window that dates ("in the last 24 hours", "in recent days")."""
    if not _SPAN_OF_TIME.search(entity.text):
        return False
    if not _WINDOW.match(entity.text):
        return True
    return entity.token_start > 0 and tokens[entity.token_start - 1].lower() == "for"
# A nationality word names its country: "Mexican" is found where "Mexico" is, "Canadian" where
# "Canada" is (the shared stem is all but the country's last two letters, and at least four).
_DEMONYM = re.compile(r"(?:ian|an|ese|ish|i)$")


def names_found(asked: set[str], forms: set[str]) -> int:
    """How many of the question's name forms ``asked`` occur among ``forms``, a nationality
    word counting as its country's name."""
    found = 0
    for name in asked:
        if name in forms:
            found += 1
        elif _DEMONYM.search(name):
            found += any(len(f) >= 4 and name[: max(4, len(f) - 2)] == f[: max(4, len(f) - 2)]
                         and f != name for f in forms)
    return found

WINDOW = 10  # tokens either side of a candidate entity in which the asked attribute counts
_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=1 << 14)
def content_words(text: str) -> tuple[str, ...]:
    """Lower-case words without accents that are not stopwords ("the 2014 Winter Olympics" ->
    2014, winter, olympics; "López" -> lopez). Cached: passages come back question after
    question."""
    return tuple(w for w in _WORD.findall(fold_accents(text.lower())) if w not in STOPWORDS)


def _stem(word: str) -> str:
    """A crude stem for matching an attribute noun in evidence: "populations" -> "populat"."""
    word = word.lower()
    for suffix in ("ations", "ation", "ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: len(word) - len(suffix)]
    return word


def _named_in(entity: Entity, question: set[str]) -> bool:
    words = content_words(entity.text)
    return bool(words) and (all(w in question for w in words) or (
        entity.label == "PERSON" and words[-1] in question))


def _found(entity: Entity, words: set[str]) -> bool:
    found = content_words(entity.text)
    return bool(found) and all(w in words for w in found)


def typing_features(question: str, top: Sequence[ScoredSentence],
                    top_passages: Sequence[Passage], passages: Sequence[Passage], nlp: Nlp,
                    terms: Terms, idf: Idf, answer_type: AnswerType | None = None,
                    coverage: float = 0.0, rarest: str | None = None,
                    kinds: bool = True) -> list[float]:
    """The :data:`NLP_FEATURES` of the evidence: NER on the question and on ``top`` (the best
    evidence sentences) only, so the cost stays a few small spaCy calls per question;
    ``coverage`` and ``rarest`` (the idf coverage of the best passage, the question's rarest
    term) feed the per-kind features (rag.kind_needs)."""
    answer_type = answer_type or nlp.classify(question)
    q_words = set(content_words(question))
    # The entities the evidence must name: not the period the question asks of (rag.time_scope
    # matches that against the documents' own periods); still no candidate answer either.
    scope_free = time_scope.without_scope(question)
    q_entities = [e for e in nlp.entities(question)[0]
                  if content_words(e.text) and e.text in scope_free]
    labels = answer_type.labels
    focus = _stem(answer_type.focus) if answer_type.focus else None
    if focus is not None and (focus in STOPWORDS or len(focus) < 3):
        focus = None
    typed = attribute = False
    figure = _figure_elsewhere(question, answer_type, top, passages)
    unit = answer_type.focus if answer_type.kind == "quantity" else None
    per_sentence: list[list[Entity]] = []
    for sentence in top:
        entities, tokens = nlp.entities(sentence.text)
        candidates = _answering(entities, tokens, answer_type, q_words)
        per_sentence.append(candidates)
        typed = typed or bool(candidates)
        figure = figure or any(unit is None or any(same_unit(t, unit) for t in
                                                   tokens[e.token_start:e.token_end + 2])
                               for e in candidates)
        if focus is None:
            continue
        hits = [i for i, t in enumerate(tokens) if _stem(t).startswith(focus)]
        if not labels:  # an untyped question: the attribute stated anywhere in the sentence
            attribute = attribute or bool(hits)
        else:
            attribute = attribute or any(e.token_start - WINDOW <= i < e.token_end + WINDOW
                                         for e in candidates for i in hits)
    passage_words = set().union(*(content_words(f"{p.title}\n{p.text}") for p in top_passages))
    any_words = set().union(*(content_words(f"{p.title}\n{p.text}") for p in passages))
    sentence_words = set().union(*(content_words(s.text) for s in top))
    n = len(q_entities)
    key = None
    if q_entities:
        weights = idf(sorted({t for e in q_entities for t in terms(e.text)}))
        key = max(q_entities, key=lambda e: (max((weights.get(t, 0.0) for t in terms(e.text)),
                                                 default=0.0), -e.start))
    return [
        1.0 if not labels or typed else 0.0,
        1.0 if focus is None or attribute else 0.0,
        sum(_found(e, passage_words) for e in q_entities) / n if n else 1.0,
        sum(_found(e, sentence_words) for e in q_entities) / n if n else 1.0,
        sum(_found(e, any_words) for e in q_entities) / n if n else 1.0,
        1.0 if key is None or _found(key, passage_words) else 0.0,
        1.0 if answer_type.kind in FIGURE_KINDS and not figure else 0.0,
        *(_kind_row(question, nlp, answer_type, top, per_sentence, [key] if key else [],
                    rarest, terms, coverage, passages) if kinds else KIND_NEUTRAL),
    ]


def _answering(entities: Sequence[Entity], tokens: Sequence[str], answer_type: AnswerType,
               q_words: set[str]) -> list[Entity]:
    """The entities that may answer: of the asked labels, not named by the question, and for
    "how long" a span of time that measures."""
    return [e for e in entities if e.label in answer_type.labels and not _named_in(e, q_words)
            and (answer_type.kind != "duration" or measures_time(e, tokens))]


ROW_SHARE = 0.6  # of the question's content words a table row must hold for its figure to count


def table_figure(question: str, passages: Sequence[Passage]) -> bool:
    """A table row of the passages (with its document's title) holds ROW_SHARE of the question's
    content words and a figure in the column the question names (rag.table_cells.cell_for): a
    figure question's figure often sits in such a row rather than in the best sentences."""
    wanted = {w for w in content_words(time_scope.without_scope(question)) if len(w) > 1}
    for passage in passages:
        title = set(content_words(f"{passage.title} {passage.doc_id}"))
        for line in passage.text.split("\n"):
            if " | " not in line or not is_table_row(line):
                continue
            cell = cell_for(line, question)
            if cell is None or not _DIGIT.search(line[cell[0]:cell[1]]):
                continue
            held = wanted & (title | set(content_words(line)))
            if wanted and len(held) >= ROW_SHARE * len(wanted):
                return True
    return False


# A figure and the (up to three) words after it, in its clause (a PDF's line may break in it).
_FIGURE_WORDS = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)"  # "8GB": a unit may touch it
                           r"((?:(?:[ \t]*\n?|\n)[ \t]*[^\W\d_][\w-]*){1,3})")
_BARE_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def counted_figure(answer_type: AnswerType, passages: Sequence[Passage]) -> bool:
    """For a count or measure question with a counted noun or unit ("how many patients", "how
    many miles"), a figure that noun follows within three words in one of ``passages`` ("A
    total of 38 patients will be enrolled", "95,000 miles of shoreline"): the sentences most
    like the question often describe its subject (a study's title, its aim) while the figure
    stands in a section of the same document. A bare year is no figure ("in 2019 patients")."""
    return any(counted_in(passage.text, answer_type) for passage in passages)


def counted_in(text: str, answer_type: AnswerType) -> bool:
    """Whether ``text`` holds a figure the question's counted noun or unit follows within three
    words (see :func:`counted_figure`)."""
    focus = answer_type.focus
    if answer_type.kind not in ("count", "quantity") or not focus:
        return False
    return any(not _BARE_YEAR.fullmatch(m.group(1)) and
               any(same_unit(w, focus) for w in m.group(2).split())
               for m in _FIGURE_WORDS.finditer(text))


def _figure_elsewhere(question: str, answer_type: AnswerType, top: Sequence[ScoredSentence],
                      passages: Sequence[Passage]) -> bool:
    """A figure question's figure outside the best sentences: a table row's cell, or a figure
    its counted noun follows in the best sentence's document."""
    if answer_type.kind not in FIGURE_KINDS:
        return False
    doc = passages[top[0].passage - 1].doc_id if top else None
    return table_figure(question, passages) or \
        counted_figure(answer_type, [p for p in passages if p.doc_id == doc])


def _kind_row(question: str, nlp: Nlp, answer_type: AnswerType,
              top: Sequence[ScoredSentence], per_sentence: list, keys: list[Entity],
              rarest: str | None, terms: Terms, coverage: float,
              passages: Sequence[Passage]) -> tuple[float, ...]:
    """The per-kind features (rag.kind_needs) of the question and its evidence."""
    return tuple(kind_features(kind_of(question, nlp), answer_type, top, per_sentence,
                               subject_words(keys, rarest, _terms_of(terms)), coverage,
                               steps_given(question, nlp, passages, top), _terms_of(terms)))

Terms = Callable[[str], list[str]]
Idf = Callable[[Sequence[str]], dict[str, float]]


def _terms_of(terms: Terms) -> Callable[[str], tuple[str, ...]]:
    return lambda text: tuple(terms(text))


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


def distinct(ranked: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The sentences, best first, each text once: a sentence two versions of a document state
    alike (both retrieved) is one piece of evidence, not two."""
    seen: set[str] = set()
    out = []
    for s in ranked:
        key = " ".join(s.text.split())
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def features(question: str, sentences: Sequence[ScoredSentence], passages: Sequence[Passage],
             terms: Terms, idf: Idf, nlp: Nlp | None = None, kinds: bool = True) -> np.ndarray:
    """One row of :data:`FEATURES` (no encoder call: the sentences are already scored). Without
    ``nlp`` the answer-typing features are 1 (nothing missing); with ``kinds`` false the
    per-kind ones are neutral (KIND_NEUTRAL: a model that does not read them)."""
    if not sentences or not passages:
        return np.zeros(len(FEATURES), dtype=np.float64)
    dated, question = question, time_scope.without_scope(question)  # its period: rag.time_scope
    q_terms = set(terms(question))
    weights = idf(sorted(q_terms))
    total = sum(weights.get(t, 0.0) for t in q_terms) or 1.0

    def covered(found: set[str]) -> float:
        return sum(weights.get(t, 0.0) for t in q_terms & found) / total

    passage_terms = [set(terms(f"{p.title}\n{p.text}")) for p in passages]
    union = set().union(*passage_terms)
    rarest = max(q_terms, key=lambda t: (weights.get(t, 0.0), t), default=None)
    ranked = sorted(sentences, key=lambda s: (-s.score, s.order))
    top = distinct(ranked)[:TOP_SENTENCES]
    top_terms = set().union(*(terms(s.text) for s in top))
    wants_number = bool(_WANTS_NUMBER.search(question))
    q_names = names(question)
    passage_names = [name_forms(f"{p.title}\n{p.text}") for p in passages]
    best_names = passage_names[ranked[0].passage - 1]
    q_dates = dates(dated)
    passage_dates = set().union(*(dates(f"{p.title}\n{p.text}") for p in passages))
    top_passages = [passages[n - 1] for n in sorted({s.passage for s in top})]
    coverage = max(covered(t) for t in passage_terms)
    typing = (typing_features(dated, top, top_passages, passages, nlp, terms, idf,
                              coverage=coverage, rarest=rarest, kinds=kinds)
              if nlp is not None
              else list(NLP_NEUTRAL))
    return np.array([
        max(s.dense for s in sentences),
        ranked[0].lexical,
        max(s.lexical for s in sentences),
        max(p.score for p in passages),
        coverage,
        covered(union),
        1.0 if rarest is not None and rarest in union else 0.0,
        covered(top_terms),
        1.0 if wants_number and not any(_DIGIT.search(s.text) for s in top) else 0.0,
        names_found(q_names, set().union(*passage_names)) / len(q_names) if q_names else 1.0,
        names_found(q_names, best_names) / len(q_names) if q_names else 1.0,
        len(q_dates & passage_dates) / len(q_dates) if q_dates else 1.0,
        *typing,
    ], dtype=np.float64)


def gate_scores(model: LinearModel, rows: np.ndarray) -> np.ndarray:
    """The model's scores over rows of :data:`FEATURES` (a model may use a subset of them, named
    in its file), except 0 (refused at any threshold) where a flag of the model's ``hard`` list
    is set: by default ``figure_missing`` (a question asks for a figure and the best evidence
    states none: about 1 % of answerable questions over the shared sets and the sample);
    ``python -m fitting.cross_set`` chooses the list on its fit sets (docs/evaluation.md)."""
    names = getattr(model, "names", FEATURES)
    scores = model.score(rows[:, [FEATURES.index(n) for n in names]])
    extra = getattr(model, "extra", {})
    hard = [FEATURES.index(h) for h in extra.get("hard", DEFAULT_HARD)]
    refused = (rows[:, hard] == 1.0).any(axis=1) if hard else np.zeros(len(rows), dtype=bool)
    return np.where(refused, 0.0, scores)


class ModelGate:
    """A fitted logistic model of "the passages answer the question" (see the module doc)."""

    def __init__(self, model: LinearModel, threshold: float, terms: Terms, idf: Idf,
                 nlp: Nlp | None = None) -> None:
        self._model = model
        self.threshold = threshold
        self._terms = terms
        self._idf = idf
        self._nlp = nlp
        # the per-kind features cost a tagger call and a section scan: only for a model (or a
        # hard flag) that reads them
        names = set(getattr(model, "names", FEATURES)) | set(
            getattr(model, "extra", {}).get("hard", DEFAULT_HARD))
        self._kinds = bool(names & set(KIND_FEATURES))

    def score(self, question: str, sentences: Sequence[ScoredSentence],
              passages: Sequence[Passage]) -> float:
        if not sentences or not passages:
            return 0.0
        row = features(question, sentences, passages, self._terms, self._idf, self._nlp,
                       kinds=self._kinds)
        return float(gate_scores(self._model, row[None, :])[0])


def load_weights(path: Path | Traversable) -> LinearModel:
    """A refusal weights file, checked against :data:`FEATURES`; it must carry its threshold."""
    from index.errors import ConfigError

    import json

    try:  # a model of a subset of FEATURES (in their order) is read as such
        names = tuple(json.loads(Path(str(path)).read_text(encoding="utf-8")
                                 if isinstance(path, (str, Path)) else path.read_text(
                                     encoding="utf-8"))["features"])
    except (OSError, ValueError, KeyError, TypeError):
        names = FEATURES
    expected = names if set(names) <= set(FEATURES) and sorted(
        names, key=FEATURES.index) == list(names) else FEATURES
    model = LinearModel.load(path, expected, "python -m fitting.cross_set --write-weights")
    threshold = model.extra.get("threshold")
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"refusal weights {path} carry no threshold between 0 and 1")
    return model
