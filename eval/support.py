"""Is each answer sentence supported by the passages it cites? (lexical, then embedding check)

Computed here, independently of any verification the answering path does, so the figure means
the same for every generator: a generator whose verifier drops unsupported sentences scores well
because what is left is supported, not because it says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from eval.metrics import lexical_support
from index.embedder import Embedder
from rag.text import split_sentences

_MARKER = re.compile(r"\[(\d+)\]")
# A sentence ends after its markers, where the next sentence starts: "... [1] The next".
# Text in brackets followed by lower case or punctuation (a paper's "[31] .") does not end one.
_PIECE_END = re.compile(r"(?<=\])\s+(?=[A-Z0-9\"“(])")
_WORDS = re.compile(r"\w")


@dataclass(frozen=True)
class SentenceSupport:
    sentence: str
    markers: tuple[int, ...]
    supported: bool


def answer_sentences(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """Split an answer into (sentence without markers, its markers); markers end a sentence."""
    out: list[tuple[str, tuple[int, ...]]] = []
    for piece in _PIECE_END.split(answer.strip()):
        markers = tuple(int(m) for m in _MARKER.findall(piece))
        text = " ".join(_MARKER.sub(" ", piece).split())
        if out and not _WORDS.search(text):  # a stray "." after a reference: same sentence
            out[-1] = (out[-1][0] + text, out[-1][1] + markers)
        elif text:
            out.append((text, markers))
    return out


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
