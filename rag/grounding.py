"""Citation verification: every answer sentence is checked against the passages it cites.

A generator's draft is a run of sentences, each followed by markers ``[n]`` that point at the
request's passages (1-based). For each sentence the verifier measures, per passage:

- **lexical support**: the share of the sentence's content words found in the passage, whether
  every number in the sentence appears in it (a model that invents a figure fails here), and
  whether every name in it (a capitalised word past the sentence's start) appears in the passage
  or its title (a model that pins one document's facts on another's subject fails here: "The
  Quell Valley Library is a 450-metre bridge" is not supported by the bridge's passage);
- **embedding support**: the best cosine, under the bundled encoder, between the sentence and a
  sentence of the passage (or two adjacent ones, for a claim that joins them).

Sentences of a passage that read as instructions to a model (``rag.instructions.instruction_like``)
support nothing, and an answer sentence that is itself such an instruction is never kept: text in
a document cannot change the answer's format by being echoed.

A passage supports a sentence when all the sentence's numbers and names occur in it and the
lexical and embedding scores clear their thresholds. Then:

- a marker pointing at no passage, or at one that does not support its sentence, is removed;
- a sentence with no supporting cited passage is re-cited to the best supporting passage among
  all retrieved ones when there is one (LLMs often cite once per paragraph), else it is
  dropped (mode ``drop``) or kept and listed as flagged (mode ``flag``);
- each kept (sentence, passage) pair records the passage text that supports it, as an offset
  range of the passage's cleaned text: the sentence itself when it is quoted verbatim, else the
  passage sentence(s) closest to it.

All encoder work for one draft is one batched call.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from index.embedder import Embedder
from index.analysis import fold_accents
from rag import markers
from rag.instructions import instruction_like
from rag.sentences import STOPWORDS, content_words, split_sentences
from rag.types import Passage

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Support:
    """How well passage ``passage`` (1-based) supports one answer sentence."""

    passage: int
    lexical: float
    dense: float
    numbers_ok: bool
    span: tuple[int, int]  # offsets in the passage's cleaned text
    supported: bool
    names_ok: bool = True

    @property
    def score(self) -> float:
        return round((self.lexical + self.dense) / 2, 4)


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # without markers
    supports: tuple[Support, ...]  # the passages it ends up citing, each supporting it
    supported: bool
    removed_markers: int = 0


@dataclass
class VerifiedDraft:
    sentences: list[CheckedSentence] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    removed_markers: int = 0

    @property
    def kept(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.supports]

    @property
    def text(self) -> str:
        """The draft rewritten with only supporting markers, dropped sentences left out."""
        parts = []
        for s in self.sentences:
            cites = "".join(f" [{sup.passage}]" for sup in s.supports)
            parts.append(f"{s.text}{cites}")
        return " ".join(parts)

    @property
    def supported_share(self) -> float:
        checked = len(self.sentences) + len(self.dropped)
        return sum(s.supported for s in self.sentences) / checked if checked else 0.0


class CitationVerifier:
    """Checks drafts against passages. ``mode`` says what happens to unsupported sentences."""

    def __init__(self, embedder: Embedder, min_lexical: float = 0.5, min_dense: float = 0.5,
                 mode: Literal["drop", "flag"] = "drop") -> None:
        self._embedder = embedder
        self._min_lexical = min_lexical
        self._min_dense = min_dense
        self._mode = mode

    def verify(self, draft_text: str, passages: Sequence[Passage]) -> VerifiedDraft:
        claims = markers.marked_sentences(draft_text)
        result = VerifiedDraft()
        if not claims:
            return result
        verbatim = self._verbatim_only(claims, passages)
        if verbatim is not None:  # every citation quotes its passage: nothing to embed
            for claim, named, cited in verbatim:
                result.removed_markers += len(named) - len(cited)
                result.sentences.append(CheckedSentence(claim, cited, True,
                                                        len(named) - len(cited)))
            return result
        units = [_units(p.text) for p in passages]
        flat = [u for us in units for u in us]
        vectors = self._embedder.embed([c for c, _ in claims] + [t for t, _ in flat])
        claim_vecs, unit_vecs = vectors[: len(claims)], vectors[len(claims):]
        sims = claim_vecs @ unit_vecs.T if len(flat) else np.zeros((len(claims), 0))
        bounds = np.cumsum([0] + [len(us) for us in units])
        for ci, (claim, named) in enumerate(claims):
            scores = [self._support(claim, n, passages[n - 1], units[n - 1],
                                    sims[ci, bounds[n - 1]:bounds[n]])
                      for n in range(1, len(passages) + 1)]
            valid = [m for m in dict.fromkeys(named) if 1 <= m <= len(passages)]
            cited = [scores[m - 1] for m in valid if scores[m - 1].supported]
            removed = len(named) - len(cited)
            if not cited:
                best = max((s for s in scores if s.supported), key=lambda s: s.score,
                           default=None)
                cited = [best] if best is not None else []
            result.removed_markers += removed
            if cited:
                result.sentences.append(CheckedSentence(claim, tuple(cited), True, removed))
            elif self._mode == "flag":
                result.flagged.append(claim)
                result.sentences.append(CheckedSentence(claim, (), False, removed))
            else:
                result.dropped.append(claim)
        return result

    @staticmethod
    def _verbatim_only(claims: Sequence[tuple[str, Sequence[int]]], passages: Sequence[Passage]
                       ) -> list[tuple[str, Sequence[int], tuple[Support, ...]]] | None:
        """When every answer sentence cites at least one passage and each passage it cites
        holds it verbatim (an extractive answer quotes its passages), the verdicts that the
        full check would give, found without embedding anything; else None. Most extractive
        answers (29 of 34 on covidqa) take this path, which skips embedding every sentence and
        sentence pair of the passages."""
        out = []
        for claim, named in claims:
            valid = [m for m in dict.fromkeys(named) if 1 <= m <= len(passages)]
            if not valid or instruction_like(claim):
                return None
            spans = [find_verbatim(claim, passages[m - 1].text) for m in valid]
            if any(span is None for span in spans):
                return None
            out.append((claim, named, tuple(Support(m, 1.0, 1.0, True, span, True)
                                            for m, span in zip(valid, spans) if span)))
        return out

    def _support(self, claim: str, n: int, passage: Passage,
                 units: list[tuple[str, tuple[int, int]]], sims: np.ndarray) -> Support:
        if instruction_like(claim):
            return Support(n, 0.0, 0.0, False, (0, 0), False)
        exact = find_verbatim(claim, passage.text)
        words = content_words(claim)
        passage_words = set().union(*(content_words(t) for t, _ in units)) if units else set()
        lexical = len(words & passage_words) / len(words) if words else 0.0
        numbers_ok = _numbers(claim) <= _numbers(passage.text)
        if exact is not None:
            return Support(n, 1.0, 1.0, True, exact, True)
        names_ok = names(claim) <= name_forms(f"{passage.title}\n{passage.text}")
        if not len(sims):
            return Support(n, round(lexical, 4), 0.0, numbers_ok, (0, 0), False, names_ok)
        best = int(np.argmax(sims))
        dense = float(sims[best])
        supported = (numbers_ok and names_ok and lexical >= self._min_lexical
                     and dense >= self._min_dense)
        return Support(n, round(lexical, 4), round(dense, 4), numbers_ok, units[best][1],
                       supported, names_ok)


def _units(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Sentences of a passage, plus each adjacent pair, with their offsets in ``text``;
    instruction-like sentences are left out (they support nothing)."""
    sentences = [(s, instruction_like(s.text)) for s in split_sentences(text)]
    units = [(s.text, (s.start, s.end)) for s, bad in sentences if not bad]
    for (a, bad_a), (b, bad_b) in zip(sentences, sentences[1:]):
        if not bad_a and not bad_b:
            units.append((text[a.start:b.end], (a.start, b.end)))
    return units


_TOKEN = re.compile(r"[^\W\d_][\w'’.&-]*")
_POSSESSIVE = re.compile(r"['’]s$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def _norm(word: str) -> str:
    """'Mexico's' -> 'mexico', 'U.S.' -> 'us', 'López' -> 'lopez': one form for a name however
    it is punctuated or accented."""
    return _NOT_ALNUM.sub("", fold_accents(_POSSESSIVE.sub("", word).lower()))


@functools.lru_cache(maxsize=1 << 14)
def names(sentence: str) -> frozenset[str]:
    """The names a sentence asserts: capitalised words that are not its first word (which is
    capitalised anyway) unless the next word is capitalised too ("Brandon Johnson said"), and
    not stopwords ("The", "In")."""
    tokens = _TOKEN.findall(sentence)
    out: set[str] = set()
    for i, tok in enumerate(tokens):
        if not tok[0].isupper() or tok.lower().strip(".'’") in STOPWORDS:
            continue
        if i == 0 and not (len(tokens) > 1 and tokens[1][0].isupper()):
            continue
        form = _norm(tok)
        if len(form) > 1:
            out.add(form)
    return frozenset(out)


@functools.lru_cache(maxsize=1 << 13)
def name_forms(text: str) -> frozenset[str]:
    """Every word of ``text`` in the form :func:`names` compares, capitalised or not. Cached:
    passages come back question after question."""
    return frozenset(_norm(t) for t in _TOKEN.findall(text))


@functools.lru_cache(maxsize=1 << 13)
def _numbers(text: str) -> frozenset[str]:
    return frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text))


@functools.lru_cache(maxsize=1 << 10)
def _compact(passage: str) -> tuple[str, tuple[int, ...]]:
    """``passage`` lowercased without its whitespace, and where each kept character stood."""
    kept = tuple(i for i, ch in enumerate(passage) if not ch.isspace())
    return _lower("".join(passage[i] for i in kept)), kept


def _lower(text: str) -> str:
    """Lower case, character for character (a letter whose lower case is two, "İ", stays)."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def find_verbatim(claim: str, passage: str) -> tuple[int, int] | None:
    """Offsets of ``claim`` inside ``passage`` ignoring case, whitespace and final punctuation.
    Whitespace is ignored entirely: a PDF's text may read "2 .6 .001" where the answer, tidied,
    says "2.6.001"."""
    core = claim.strip().rstrip(".!?").strip()
    if len(core) < 12:
        return None
    target = _lower(_SPACE.sub("", core))
    compact, kept = _compact(passage)
    at = compact.find(target)
    if at < 0:
        return None
    start, end = kept[at], kept[at + len(target) - 1] + 1
    if end < len(passage) and passage[end] in ".!?":
        end += 1
    return start, end
