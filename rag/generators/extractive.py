"""Extractive answers: the passages' own sentences that best answer the question, cited."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.embedder import Embedder
from rag.generators.base import Draft, GenerationRequest
from rag.selection import SentenceSelector
from rag.instructions import instruction_like
from rag.sentences import asks, content_words, one_spaced, reflowed, split_sentences
from rag.types import Passage

import re

MIN_WORDS = 4
FOLLOWING = 2  # the sentences after an FAQ's question that take its score: its answer's opening
ASK_DECAY = 0.02  # ... less this for each after the first
ASK_PENALTY = 0.15  # what a sentence that asks loses: a question restated answers nothing
LEXICAL_WEIGHT = 0.3
SELECT_MARGIN = 0.12
DUPLICATE_OVERLAP = 0.6


@dataclass(frozen=True)
class ScoredSentence:
    text: str
    passage: int  # 1-based passage number
    order: int  # position among all candidate sentences (passage order, then text order)
    dense: float
    lexical: float

    @property
    def score(self) -> float:
        return self.dense + LEXICAL_WEIGHT * self.lexical



class ExtractiveGenerator:
    """Deterministic, offline, fast: one batched encoder call per question."""

    name = "extractive"

    def __init__(self, embedder: Embedder, max_sentences: int = 3,
                 selector: SentenceSelector | None = None) -> None:
        self._embedder = embedder
        self._max_sentences = max_sentences
        self._selector = selector

    def score_sentences(self, request: GenerationRequest) -> list[ScoredSentence]:
        candidates: list[tuple[str, int]] = []
        for n, passage in enumerate(request.passages, start=1):
            for sentence in split_sentences(reflowed(passage.text)):
                text = trim(sentence.text)
                # Documents are data: text addressed to a model is never evidence.
                if len(text.split()) >= MIN_WORDS and not instruction_like(text):
                    candidates.append((text, n))
        if not candidates:
            return []
        vectors = self._embedder.embed([text for text, _ in candidates])
        dense = vectors @ np.asarray(request.query_vector, dtype=np.float32)
        q_words = content_words(request.question)
        scored = []
        for i, ((text, n), d) in enumerate(zip(candidates, dense)):
            lexical = len(q_words & content_words(text)) / len(q_words) if q_words else 0.0
            scored.append(ScoredSentence(text, n, i, float(d), lexical))
        return answers_follow_questions(scored)

    def generate(self, request: GenerationRequest) -> Draft:
        return self.compose(request.question, self.score_sentences(request), request.passages)

    def compose(self, question: str, scored: list[ScoredSentence],
                passages: Sequence[Passage]) -> Draft:
        """The answer from already scored sentences, each cited: chosen by the fitted selector
        (rag.selection) when there is one, else the best within a margin of the best.
        ``passages`` are the request's (the selector reads their titles and documents).
        ``support`` is the cosine of the best sentence by score (the gate's and the off-topic
        check's reference)."""
        if not scored:
            return Draft(text="", support=-1.0, refused=True)
        support = min(scored, key=lambda s: (-s.score, s.order)).dense
        if self._selector is not None:
            choice = self._selector.choose(question, scored, passages)
            chosen = [scored[i] for i in choice.chosen]
        else:
            chosen = select_by_score(scored, self._max_sentences)
        if not chosen:
            return Draft(text="", support=support, refused=True)
        # a wrapped line's indentation, kept by the cleaner, reads as one space
        text = " ".join(f"{one_spaced(s.text)} [{s.passage}]" for s in chosen)
        return Draft(text=text, support=support)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        draft = self.generate(request)
        pieces = draft.text.split("] ")
        for i, piece in enumerate(pieces):
            yield piece + ("] " if i < len(pieces) - 1 else "")


def answers_follow_questions(scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """An FAQ's or help page's question ("Why does gzip give an error on a file I make with
    compress?") is where the answer stands, not the answer: the FOLLOWING sentences of the same
    passage after a run of asking sentences score at least the run's best (the first, less
    ASK_DECAY for each further one), and each asking sentence loses ASK_PENALTY, so the
    answer is read instead of the question restated. Sentences are in passage and text order."""
    out = list(scored)
    i = 0
    while i < len(out):
        if not asks(out[i].text):
            i += 1
            continue
        j = i
        while j < len(out) and out[j].passage == out[i].passage and asks(out[j].text):
            j += 1
        run = out[i:j]
        dense, lexical = max(s.dense for s in run), max(s.lexical for s in run)
        for k in range(i, j):
            out[k] = replace(out[k], dense=out[k].dense - ASK_PENALTY)
        for step, k in enumerate(range(j, min(j + FOLLOWING, len(out)))):
            if out[k].passage != run[0].passage or asks(out[k].text):
                break
            out[k] = replace(out[k], dense=max(out[k].dense, dense - ASK_DECAY * step),
                             lexical=max(out[k].lexical, lexical))
        i = j
    return out


def select_by_score(scored: Sequence[ScoredSentence],
                    max_sentences: int = 3) -> list[ScoredSentence]:
    """The rule without a fitted selector: the best sentences by cosine plus word overlap
    within a margin of the best, near-duplicates left out."""
    ranked = sorted(scored, key=lambda s: (-s.score, s.order))
    if not ranked:
        return []
    best = ranked[0]
    chosen: list[ScoredSentence] = []
    for s in ranked:
        if len(chosen) >= max_sentences or s.score < best.score - SELECT_MARGIN:
            break
        if any(_overlap(s.text, c.text) >= DUPLICATE_OVERLAP for c in chosen):
            continue  # near-duplicate stories say the same thing twice
        chosen.append(s)
    return chosen


def _overlap(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


_LEAD_NOISE = re.compile(r"^(?:[#>*•·|\-]+\s*)+")
_CONNECTIVE = re.compile(
    r"^(?:however|but|and|so|meanwhile|also|moreover|furthermore|in addition|additionally|"
    r"still|separately|indeed|overall)\b,?\s+(?=\S)", re.IGNORECASE)
_QUOTES = "\"“”"


def find_trimmed(text: str, trimmed: str) -> int:
    """Where a sentence :func:`trim` gave stands in ``text`` (-1 when it does not): trim keeps a
    substring but capitalises its first letter ("pip 20.3 was ..." reads "Pip 20.3 was ...")."""
    at = text.find(trimmed)
    if at < 0 and trimmed[:1].isupper():
        at = text.find(trimmed[:1].lower() + trimmed[1:])
    return at


def trim(sentence: str) -> str:
    """Drop what does not carry the answer where that is safe: list and heading marks, a leading
    connective ("However, ..."), and a quote mark left unbalanced by sentence splitting. The
    result is always a substring of ``sentence`` apart from its first letter's case."""
    text = _LEAD_NOISE.sub("", sentence.strip())
    stripped = _CONNECTIVE.sub("", text)
    if len(stripped.split()) >= MIN_WORDS:
        text = stripped
    if sum(text.count(q) for q in _QUOTES) % 2 == 1:
        if text[:1] in _QUOTES:
            text = text[1:].lstrip()
        elif text[-1:] in _QUOTES:
            text = text[:-1].rstrip()
    return text[:1].upper() + text[1:] if text else text
