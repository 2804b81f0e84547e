"""Is each answer sentence supported by the passages it cites? (lexical, then embedding check)

Computed here, independently of any verification the answering path does, so the figure means
the same for every generator: a generator whose verifier drops unsupported sentences scores well
because what is left is supported, not because it says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.metrics import lexical_support
from index.embedder import Embedder
from rag import markers
from rag.sentences import split_sentences



@dataclass(frozen=True)
class SentenceSupport:
    sentence: str
    markers: tuple[int, ...]
    supported: bool


def answer_sentences(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """Split an answer into (sentence without markers, its markers), by the product's one marker
    parser (``rag.markers``); only the judgement of support is the eval's own."""
    return [(text, tuple(found)) for text, found in markers.marked_sentences(answer)]


class SupportChecker:
    """A sentence is supported when a passage it cites holds at least ``lexical`` of its words,
    or holds a sentence whose cosine with it is at least ``semantic`` (one encoder call)."""

    def __init__(self, embedder: Embedder, lexical: float, semantic: float) -> None:
        self._embedder = embedder
        self._lexical = lexical
        self._semantic = semantic

    def check(self, answer: str, passages: dict[int, str]) -> list[SentenceSupport]:
        sentences = answer_sentences(answer)
        results: dict[int, bool] = {}
        pending: list[tuple[int, str, list[str]]] = []
        for i, (text, markers) in enumerate(sentences):
            cited = [passages[n] for n in markers if n in passages]
            if any(lexical_support(text, p) >= self._lexical for p in cited):
                results[i] = True
            elif cited:
                evidence = [s.text for p in cited for s in split_sentences(p)]
                pending.append((i, text, evidence))
            else:
                results[i] = False
        if pending:
            results.update(self._semantic_check(pending))
        return [SentenceSupport(t, m, results[i]) for i, (t, m) in enumerate(sentences)]

    def _semantic_check(self, pending: Sequence[tuple[int, str, list[str]]]) -> dict[int, bool]:
        texts = [t for _, t, ev in pending for t in (t, *ev)]
        vectors = self._embedder.embed(texts)
        out, row = {}, 0
        for i, _, evidence in pending:
            sentence = vectors[row]
            best = max((float(sentence @ vectors[row + 1 + j]) for j in range(len(evidence))),
                       default=0.0)
            out[i] = best >= self._semantic
            row += 1 + len(evidence)
        return out
