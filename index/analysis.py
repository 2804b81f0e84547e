"""The text analyser of BM25 and of everything that compares texts by their terms: lower-cased
words with accents folded, English stopwords dropped, Snowball-stemmed; and the 3-gram shingles
of analysed terms that near-duplicate passages are compared by (rag.fusion)."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Any

import numpy as np

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SHINGLE = 3  # terms per shingle (near-duplicate passages: rag.fusion)
_MIX = (np.int64(0x9E3779B97F4A7C15 - (1 << 64)), np.int64(0x632BE59BD9B4E019))


@functools.cache
def _combining_marks() -> dict[int, None]:
    """A ``str.translate`` table deleting every combining mark (built once, ~0.2 s)."""
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))}


def fold_accents(text: str) -> str:
    """``text`` without combining marks: "López Obrador" -> "Lopez Obrador"."""
    if text.isascii():
        return text
    # translate() runs in C: a per-character generator here was ~10% of an answer's CPU time.
    return unicodedata.normalize("NFKD", text).translate(_combining_marks())


class Analyzer:
    """Lower-cased words with accents folded ("López" and "Lopez" are one term), English
    stopwords removed, Snowball-stemmed (PyStemmer) when asked."""

    def __init__(self, stemmer_language: str | None = "english") -> None:
        from bm25s.stopwords import STOPWORDS_EN

        self._stemmer: Any = None
        if stemmer_language:
            import Stemmer

            self._stemmer = Stemmer.Stemmer(stemmer_language)
        # word -> its term, "" for a stopword: one lookup per word (the reranker analyses
        # every candidate of every question, so this is on the query path).
        self._terms: dict[str, str] = dict.fromkeys(STOPWORDS_EN, "")

    def terms(self, text: str) -> list[str]:
        words = _WORD.findall(fold_accents(text.lower()))
        table = self._terms
        try:
            return list(filter(None, map(table.__getitem__, words)))
        except KeyError:
            pass
        missing = list({w for w in words if w not in table})
        stems = self._stemmer.stemWords(missing) if self._stemmer is not None else missing
        table.update(zip(missing, stems))
        return list(filter(None, map(table.__getitem__, words)))


def term_shingles(hashes: np.ndarray) -> frozenset[int]:
    """A passage's 3-grams of analysed terms (``hashes``: each term's ``hash``, in text order),
    each folded into one int (collisions are as likely as between random 64-bit values); a
    passage of fewer terms is one shingle of them all."""
    if len(hashes) < SHINGLE:
        return frozenset({hash(tuple(hashes.tolist()))}) if len(hashes) else frozenset()
    with np.errstate(over="ignore"):
        codes = hashes[:-2] * _MIX[0] + hashes[1:-1] * _MIX[1] + hashes[2:]
    return frozenset(codes.tolist())


def text_shingles(analyzer: Analyzer, text: str) -> frozenset[int]:
    """:func:`term_shingles` of ``text`` analysed by ``analyzer``."""
    terms = analyzer.terms(text)
    return term_shingles(np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms)))
