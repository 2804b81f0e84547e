"""Which evidence sentences make the extractive answer: a fitted selector, and the rules no
answer breaks.

Every candidate sentence of the retrieved passages gets a row of :data:`FEATURES`; a logistic
model (``rag/selector_weights.json``, fitted by ``python -m fitting.fit_selector`` on one benchmark,
checked on another: the sentence that holds the gold answer is the positive) turns it into the
probability that the sentence states the answer. Then the rules:

- never a heading, a title line or a verbless fragment (:func:`is_fragment`);
- the best remaining sentence opens the answer;
- a further sentence only when it is itself likely enough to state the answer
  (``add_ratio`` of the best's probability), comes from a passage of the same document as the
  best (a passage that supports the answer, not a neighbouring story), and adds content words
  that neither the question nor the sentences already chosen hold.

Only features that transfer across corpora: similarities relative to the question's best,
shares of the question's own terms, the sentence's shape. Nothing here calls the encoder: the
sentences arrive scored (``ExtractiveGenerator.score_sentences``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from rag import time_scope
from rag.linear import LinearModel
from rag.sentences import WANTS_NUMBER, asks, content_words
from rag.types import Passage

FEATURES = (
    "dense",  # cosine of the question and the sentence
    "dense_gap",  # that cosine minus the best sentence's (0 for the best)
    "lexical",  # share of the question's content words in the sentence
    "lexical_gap",  # that share minus the best share among the candidates
    "idf_coverage",  # idf-weighted share of the question's terms in the sentence
    "passage_rank",  # 1 / the rank of the sentence's passage
    "first_in_passage",  # 1 for a passage's first sentence
    "title_overlap",  # share of the sentence's words that are words of its passage's title
    "new_words",  # share of the sentence's content words the question does not hold
    "number_fit",  # 1: the question asks how many/when and the sentence holds a number (for
    #                "when", or a time told against an event or a period: "the next salary")
    "number_missing",  # 1: it asks, and the sentence holds none
    "log_words",  # log of the sentence's length in words
)

_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"dozens?|hundreds?|thousands?|millions?|billions?)\b", re.IGNORECASE)
# "When are approved claims paid?" is answered by a time told against another event or a
# period as often as by a date: "with the next salary", "at the end of the month", "monthly".
_WHEN = re.compile(r"\bwhen\b", re.IGNORECASE)
_RELATIVE_TIME = re.compile(
    r"\b(?:next|following|(?:end|start|beginning) of (?:the|each|every)|monthly|weekly|daily|"
    r"annually|yearly|quarterly|(?:every|each) (?:day|week|month|quarter|year)|immediately|"
    r"upon)\b", re.IGNORECASE)
_END = re.compile(r"[.!?][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Words that make a clause (common finite verbs, or an -ed form): a sentence without any is a
# verbless fragment. Deliberately conservative: a sentence whose only verb is an uncommon present
# form ("meets") is judged a fragment and loses to a clause, which is the safe side.
_VERBS = (r"\b(?:is|are|was|were|be|been|being|am|has|have|had|do|does|did|will|would|shall|"
          r"should|can|could|may|might|must|said|says|say|told|asked|agreed|announced|met|made|"
          r"took|gave|went|came|found|led|left|won|became|began|held|saw|set|put|known)\b")
_VERB = re.compile(_VERBS, re.IGNORECASE)  # a finite verb of the list (no -ed participle)
_LABEL = re.compile(r"(?:table|figure|exhibit|chart|performance\s+measure)\b"
                    r"|(?:average\s+)?(?:percent(?:age)?|number|total|share|rate|ratio|"
                    r"proportion|amount|count)\s+of\b", re.IGNORECASE)
_FINITE = re.compile(_VERBS + r"|\b\w{3,}ed\b", re.IGNORECASE)

# A table row as index/tables.py writes it: the row's label, then cells named by their column
# ("Total net sales | Quarter ended July 1, 2023: $54,024 | ..."), one of them a figure. It states
# its figures as a sentence does, though it has no verb.
_TABLE_ROW = re.compile(r"^[^|\n]+(?: \| [^|\n]+)+$")
_NAMED_FIGURE = re.compile(r"(?:^|\| )[^|\n]*: [^|\n]*\d")

SHORT_WORDS = 10
LABEL_WORDS = 20  # a line this short, not ending like a sentence, with no finite verb: a label
CANDIDATES = 16  # sentences the model scores per question (the best by the plain score)

Terms = Callable[[str], list[str]]
Idf = Callable[[Sequence[str]], dict[str, float]]


@functools.lru_cache(maxsize=1 << 15)
def is_fragment(text: str, title: str = "") -> bool:
    """A heading, a title line or a verbless fragment: never an answer on its own.

    Headings and title lines do not end like a sentence and are short or mostly capitalised, or
    repeat the passage's title; a fragment has no word that makes a clause."""
    words = _WORD.findall(text)
    if not words:
        return True
    if is_table_row(text):
        return False
    ends = bool(_END.search(text.strip()))
    capitalised = sum(w[0].isupper() for w in words) / len(words)
    if not ends and (len(words) <= 6 or capitalised >= 0.5):
        return True
    if not ends and len(words) <= LABEL_WORDS and _LABEL.match(text.strip()) and \
            not _VERB.search(text):
        # A caption or a measure's name that does not end like a sentence and has no finite
        # verb ("Percent of retirement claims processed within 60 days", "TABLE 7.03G ...") is
        # a label, never the answer its table row or its text gives.
        return True
    title_words = content_words(title)
    own = content_words(text)
    if (title_words and own and len(own & title_words) / len(own) >= 0.8 and len(words) <= 20
            and not (ends and _FINITE.search(text) and _titled_by(text, title))):
        return True
    # Without a tagger, only a short sentence is judged by the verb list: a long one that ends
    # like a sentence is a clause far more often than the list would say.
    return len(words) <= SHORT_WORDS and not _FINITE.search(text)


def is_table_row(text: str) -> bool:
    """A line of a table (index.tables): cells joined by `` | ``, one named figure at least."""
    line = text.strip()
    return " | " in line and bool(_TABLE_ROW.match(line)) and bool(_NAMED_FIGURE.search(line))


def _titled_by(text: str, title: str) -> bool:
    """Whether ``title`` was taken from ``text`` itself: a document whose first line is a whole
    sentence (a one-line note, an FAQ entry) is titled by that sentence, which stays a sentence."""
    head = " ".join(title.rstrip("…").split())
    return bool(head) and " ".join(text.split()).startswith(head)


def features(question: str, sentences: Sequence, passages: Sequence[Passage],
             terms: Terms | None, idf: Idf | None,
             only: Sequence[int] | None = None) -> np.ndarray:
    """A row of :data:`FEATURES` for each sentence (``sentences`` are ScoredSentence), or for
    the sentences at ``only`` (the gaps and "first in passage" still see all of them)."""
    if not sentences:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    wanted = range(len(sentences)) if only is None else only
    q_words = content_words(question)
    q_terms = set(terms(question)) if terms is not None else set()
    weights = idf(sorted(q_terms)) if (idf is not None and q_terms) else {}
    total = sum(weights.get(t, 0.0) for t in q_terms) or 1.0
    wants_number = bool(WANTS_NUMBER.search(question))
    when = bool(_WHEN.search(question))
    best_dense = max(s.dense for s in sentences)
    best_lexical = max(s.lexical for s in sentences)
    first_of_passage: dict[int, int] = {}
    for i, s in enumerate(sentences):
        first_of_passage.setdefault(s.passage, i)
    rows = []
    for i in wanted:
        s = sentences[i]
        passage = passages[s.passage - 1]
        own = content_words(s.text)
        title = content_words(passage.title)
        if terms is not None:
            found = q_terms & set(terms(s.text))
            coverage = sum(weights.get(t, 0.0) for t in found) / total
        else:
            coverage = s.lexical
        first = first_of_passage[s.passage] == i
        has_number = bool(_NUMBER.search(s.text)) or when and bool(_RELATIVE_TIME.search(s.text))
        n_words = max(1, len(s.text.split()))
        rows.append((
            s.dense, s.dense - best_dense, s.lexical, s.lexical - best_lexical, coverage,
            1.0 / s.passage, 1.0 if first else 0.0,
            len(own & title) / len(own) if own else 0.0,
            len(own - q_words) / len(own) if own else 0.0,
            1.0 if wants_number and has_number else 0.0,
            1.0 if wants_number and not has_number else 0.0,
            math.log(n_words),
        ))
    return np.asarray(rows, dtype=np.float64)


@dataclass(frozen=True)
class Choice:
    """The sentences of an answer (indices into the candidates), best first, and the best one's
    probability of stating the answer."""

    chosen: tuple[int, ...]
    best_probability: float


class SentenceSelector:
    """The fitted model plus the rules of the module docstring."""

    def __init__(self, model: LinearModel, terms: Terms | None = None, idf: Idf | None = None,
                 *, max_sentences: int = 3, add_ratio: float | None = None,
                 duplicate_overlap: float = 0.6, min_new_words: int = 3,
                 time_penalty: float = 1.0) -> None:
        self._model = model
        self._terms = terms
        self._idf = idf
        self._max = max_sentences
        self._add_ratio = (add_ratio if add_ratio is not None
                           else float(model.extra.get("add_ratio", 0.8)))
        self._duplicate_overlap = duplicate_overlap
        self._min_new_words = min_new_words
        self._time_penalty = time_penalty

    def probabilities(self, question: str, sentences: Sequence,
                      passages: Sequence[Passage]) -> np.ndarray:
        """Each sentence's probability of stating the answer. Only the ``CANDIDATES`` best by
        the plain score are scored by the model (the rest get 0): the sentence that answers is
        almost always among them, and the features cost time on every request."""
        p = np.zeros(len(sentences))
        top = top_candidates(sentences)
        if self._time_penalty < 1.0:
            top += [i for i in dated(question, sentences, passages) if i not in top]
        rows = features(question, sentences, passages, self._terms, self._idf, top)
        if len(rows):
            p[top] = self._model.score(rows)
        return p

    def choose(self, question: str, sentences: Sequence,
               passages: Sequence[Passage]) -> Choice:
        if not sentences:
            return Choice((), 0.0)
        return self.choose_from(question, sentences, passages,
                                self.probabilities(question, sentences, passages))

    def choose_from(self, question: str, sentences: Sequence, passages: Sequence[Passage],
                    p: np.ndarray) -> Choice:
        """The rules over given probabilities ``p`` (one per sentence). A question naming a
        period weighs each sentence by the years it states (:func:`time_weights`)."""
        exact: list[int] = []
        if self._time_penalty < 1.0:
            p = p * time_weights(question, sentences, self._time_penalty, passages)
            exact = exact_period(question, sentences)
        # A line stating the asked range is read even when verbless ("- Panagiotis Poulitsas
        # ( 1943–1951 ) , interim Prime Minister"), and is the answer before any sentence that
        # does not state it.
        # Nor a sentence that asks (an FAQ's question restated answers nothing), unless all do.
        eligible = [i for i, s in enumerate(sentences)
                    if i in exact or not is_fragment(s.text, passages[s.passage - 1].title)]
        eligible = [i for i in eligible if not asks(sentences[i].text)] or eligible
        if not eligible:
            return Choice((), 0.0)
        ranked = sorted(eligible, key=lambda i: (i not in exact, -p[i], sentences[i].order))
        best = ranked[0]
        chosen = [best]
        doc = passages[sentences[best].passage - 1].doc_id
        said = content_words(question) | content_words(sentences[best].text)
        for i in ranked[1:]:
            if len(chosen) >= self._max or p[i] < p[best] * self._add_ratio:
                break
            s = sentences[i]
            if passages[s.passage - 1].doc_id != doc:
                continue
            own = content_words(s.text)
            if len(own - said) < self._min_new_words or any(
                    _overlap(own, content_words(sentences[c].text)) >= self._duplicate_overlap
                    for c in chosen):
                continue
            chosen.append(i)
            said |= own
        return Choice(tuple(chosen), float(p[best]))


def time_weights(question: str, sentences: Sequence, penalty: float,
                 passages: Sequence[Passage] | None = None) -> np.ndarray:
    """Per sentence, by how closely it states the asked period (time_scope.period_fit): 1 when
    the question names no period, or the sentence states the period or a year beginning or
    ending it; ``sqrt(penalty)`` for a year only inside it; ``penalty`` squared for no year
    and cubed for only other years. A sentence stating no year in a document that covers the
    period (its own ``period``: a yearly report) speaks of it: 1."""
    weights = np.ones(len(sentences))
    scope = time_scope.asked(question)
    if scope is None or scope.latest:
        return weights
    by_fit = {time_scope.EXACT: 1.0, time_scope.BOUND: 1.0, time_scope.INSIDE: math.sqrt(penalty),
              time_scope.NONE: penalty ** 2, time_scope.OTHER: penalty ** 3}
    for i, s in enumerate(sentences):
        period = passages[s.passage - 1].period if passages is not None else None
        weights[i] = by_fit[time_scope.document_fit(s.text, scope, period)]
    return weights


def exact_period(question: str, sentences: Sequence) -> list[int]:
    """Indices of the sentences that state the asked range itself ("( 1943–1951 )" for "from
    1943 to 1951"): a list of holders, each line with its years, states the asked one so."""
    scope = time_scope.asked(question)
    if scope is None or scope.latest or scope.first >= scope.last:
        return []
    return [i for i, s in enumerate(sentences)
            if time_scope.period_fit(s.text, scope) == time_scope.EXACT]


def dated(question: str, sentences: Sequence, passages: Sequence[Passage]) -> list[int]:
    """Indices of the sentences that state the asked period or a year beginning or ending it
    (time_scope.period_fit EXACT or BOUND): scored whatever their plain score, as a sentence
    dated so is the answer more often than one only sharing the question's words ("She was
    appointed to the board of Goldman Sachs in October 2001" for "... joined in Oct 2001"). A
    single year asked widens only to documents that state no period of their own: a yearly
    report states its year in most sentences (agency_reports: an unanswerable FY 2021 question
    was answered with one)."""
    scope = time_scope.asked(question)
    if scope is None or scope.latest:
        return []
    return [i for i, s in enumerate(sentences)
            if (scope.first < scope.last or passages[s.passage - 1].period is None)
            and time_scope.period_fit(s.text, scope) in (time_scope.EXACT, time_scope.BOUND)]


def top_candidates(sentences: Sequence) -> list[int]:
    """Indices of the ``CANDIDATES`` best sentences by the plain score (the ones the model
    scores)."""
    return sorted(range(len(sentences)),
                  key=lambda i: (-sentences[i].score, sentences[i].order))[:CANDIDATES]


def _overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


DEFAULT_WEIGHTS: Traversable = resources.files("rag") / "selector_weights.json"


def load_weights(path: Path | Traversable) -> LinearModel:
    return LinearModel.load(path, FEATURES, "python -m fitting.fit_selector --write-weights")
