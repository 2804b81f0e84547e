"""BM25 (bm25s, Lucene variant): the matrix of a release snapshot's chunks, and the keyword
search over a snapshot (:func:`search`). The snapshot (index/snapshot.py) holds the matrix; the
replica (index/replica.py) builds, saves and loads it with the rest of a version."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.types import Chunk

if TYPE_CHECKING:
    from index.snapshot import ReleaseSnapshot


@dataclass(frozen=True)
class KeywordHit:
    chunk: Chunk
    score: float  # BM25 score (unbounded, > 0)


class Bm25:
    """The BM25 matrix of a snapshot's chunks and its vocabulary (term -> id); empty (no
    bm25s model) for a snapshot without chunks."""

    def __init__(self, model: Any | None) -> None:
        self.model = model
        self.vocab: dict[str, int] = model.vocab_dict if model is not None else {}
        self.vocab_size = max(self.vocab.values(), default=-1) + 1

    @classmethod
    def build(cls, analysed: Sequence[list[str]], k1: float, b: float,
              headers: Sequence[list[str]] | None = None) -> tuple["Bm25", np.ndarray]:
        """The matrix of chunks given as their analysed terms (each with its header's terms
        before them, when given), and every chunk's own terms (not its header's) as vocabulary
        ids, concatenated in chunk order (what the reranker reads: index/snapshot.py)."""
        if not analysed:
            return cls(None), np.zeros(0, dtype=np.int32)
        import bm25s

        indexed = ([h + t for h, t in zip(headers, analysed)] if headers is not None
                   else analysed)
        model = bm25s.BM25(k1=k1, b=b)
        model.index([t or ["\0"] for t in indexed], show_progress=False)
        vocab = model.vocab_dict
        term_ids = np.fromiter((vocab[t] for terms in analysed for t in terms),
                               dtype=np.int32, count=sum(map(len, analysed)))
        return cls(model), term_ids

    @classmethod
    def load(cls, folder: Path, empty: bool) -> "Bm25":
        """The matrix saved in ``folder`` (:meth:`save`); ``empty``: a version without chunks,
        which saved none."""
        if empty:
            return cls(None)
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def save(self, folder: Path) -> None:
        if self.model is not None:
            self.model.save(str(folder), show_progress=False)

    def idf(self, terms: Sequence[str], chunks: int) -> dict[str, float]:
        """Inverse document frequency of each of ``terms`` among ``chunks`` chunks (the
        reranker's and the gate's coverage weights)."""
        if self.model is None:
            return {}
        indptr = self.model.scores["indptr"]
        n = max(chunks, 1)
        out = {}
        for t in terms:
            tid = self.vocab.get(t)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            out[t] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def scores(self, terms: Sequence[str], mask: np.ndarray | None) -> np.ndarray | None:
        """Every chunk's BM25 score for the query ``terms`` (chunks where ``mask`` is 0 score
        0); None when no term is in the vocabulary."""
        if self.model is None:
            return None
        ids = self.model.get_tokens_ids(terms)
        if not ids:
            return None
        return self.model.get_scores_from_ids(ids, weight_mask=mask)


def search(snapshot: "ReleaseSnapshot", query: str, top_k: int,
           allowed_doc_ids: Collection[str] | None = None) -> list[KeywordHit]:
    """The ``top_k`` best BM25 chunks of ``snapshot`` for ``query``, best first (equal scores
    in chunk order); only chunks of ``allowed_doc_ids`` when given: they are the weight mask
    *before* the top k, so forbidden documents full of better matches cannot starve them."""
    if snapshot.bm25.model is None or top_k <= 0:
        return []
    mask = snapshot.doc_mask(allowed_doc_ids) if allowed_doc_ids is not None else None
    scores = snapshot.bm25.scores(snapshot.analyzer.terms(query), mask)
    if scores is None:
        return []
    return [KeywordHit(snapshot.chunks[i], float(scores[i]))
            for i in best_positive(scores, top_k)]


def best_positive(scores: np.ndarray, k: int, stride: int = 16) -> np.ndarray:
    """Positions of the ``k`` highest scores above 0, best first, equal scores in position
    order (what a stable sort of all of them gives).

    Every ``stride``-th positive score is a sample whose k-th best is a floor no score of the
    top k is below (k scores of the whole array are at least that high), so one pass keeps the
    few hundred scores at or above it and only those are sorted. At 100k chunks, where half
    the scores are positive, 0.11 ms a question against 0.35 for a partition of every positive
    score (and up to 10 ms for one of all 100k, zeros included: introselect's bad case)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    sample = scores[::stride]
    sample = sample[sample > 0]
    if len(sample) >= k:
        floor = np.partition(sample, len(sample) - k)[len(sample) - k]
        top = np.flatnonzero(scores >= floor)
    else:
        top = np.flatnonzero(scores > 0)
        if len(top) > k:
            values = scores[top]
            top = top[values >= np.partition(values, len(values) - k)[len(values) - k]]
    return top[np.lexsort((top, -scores[top]))][:k]
