"""Second-stage reranking of the fused candidates.

``FeatureReranker`` (the default) scores each candidate with a linear model over cheap features
computed in one pass (a listwise fit: only the order within a question matters), with weights
fitted on one benchmark and checked on another by
``python -m eval.fit_reranker`` (the fitted file ships as ``rag/rerank_weights.json``).
``CrossEncoderReranker`` runs a local sentence-transformers cross-encoder directory instead, for a
site that has one (none with weights is on PyPI).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ConfigError
from rag.fusion import Candidate
from rag.linear import LinearModel

# The bundled weights, read from the installed package (retrieval.rerank_weights names another).
DEFAULT_WEIGHTS: Traversable = resources.files("rag") / "rerank_weights.json"

FEATURES = (
    "dense_gap",  # dense minus the best dense score among the candidates
    "dense_lead",  # dense minus the best dense of the *other* candidates (> 0 only for the top)
    "dense_z",  # dense standardised over the candidates
    "dense_rr",  # 1 / rank in the dense list (0 if absent)
    "bm25_rel",  # BM25 score / best BM25 score among the candidates
    "bm25_lead",  # (BM25 minus the best BM25 of the other candidates) / best BM25
    "keyword_rr",  # 1 / rank in the keyword list (0 if absent)
    "rrf_rel",  # fused score / best fused score
    "coverage",  # share of the question's terms found in the chunk
    "idf_coverage",  # the same, weighted by inverse document frequency
    "window",  # idf-weighted share of the question's terms inside the best WINDOW-term span
    "bigram",  # share of the question's adjacent term pairs found in the chunk
    "title_in_question",  # share of the title's terms found in the question
    "rarest_match",  # idf of the rarest question term the chunk holds / the rarest term's idf
    "doc_share",  # share of the candidates that come from the same document
    "doc_best_rrf",  # best fused score among the document's candidates / best fused score
    "doc_best_dense",  # best dense among the document's candidates minus the best dense
    "doc_best_window",  # best window among the document's candidates
)
WINDOW = 12  # terms (stopwords removed: about a sentence) for the proximity feature

class Reranker(Protocol):
    def rerank(self, question: str, query_vector: np.ndarray,
               candidates: Sequence[Candidate]) -> list[Candidate]:
        """Return the candidates best first, with ``score`` set to the reranker's score."""
        ...


Terms = Callable[[str], list[str]]
Idf = Callable[[Sequence[str]], dict[str, float]]


def features(question: str, candidates: Sequence[Candidate], terms: Terms,
             idf: Idf) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate (missing dense scores count as 0).

    Every feature is relative to the question or to the other candidates of the same question
    (gaps, leads, shares, standardised values), never a raw cosine or BM25 score, and lies on a
    scale of about one, so that weights fitted on one corpus carry over to another whose raw
    score scales differ.
    """
    q_list = terms(question)
    q_terms = set(q_list)
    q_bigrams = set(zip(q_list, q_list[1:]))
    weights = idf(sorted(q_terms))
    q_weight = sum(weights.get(t, 0.0) for t in q_terms) or 1.0
    n = len(candidates)
    dense = np.array([c.dense if c.dense is not None else 0.0 for c in candidates])
    bm25 = np.array([c.bm25 or 0.0 for c in candidates])
    fused = np.array([c.fused for c in candidates])
    dense_lead = dense - _best_of_others(dense)
    best_dense = float(dense.max()) if n else 0.0
    dense_z = (dense - dense.mean()) / dense.std() if n and dense.std() > 1e-9 else dense * 0
    best_bm25 = float(bm25.max()) if n else 0.0
    best_bm25 = best_bm25 or 1.0
    bm25_lead = (bm25 - _best_of_others(bm25)) / best_bm25
    best_fused = float(fused.max()) if n else 0.0
    best_fused = best_fused or 1.0
    rare = max((weights.get(t, 0.0) for t in q_terms), default=0.0) or 1.0
    q_idf = {t: weights.get(t, 0.0) for t in q_terms}
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    for i, c in enumerate(candidates):
        body = terms(c.chunk.text)
        body_terms = set(body)
        title_terms = set(terms(c.chunk.title))
        shared = q_terms & body_terms
        rows[i, :14] = (
            dense[i] - best_dense,
            dense_lead[i],
            dense_z[i],
            1.0 / c.dense_rank if c.dense_rank else 0.0,
            bm25[i] / best_bm25,
            bm25_lead[i],
            1.0 / c.keyword_rank if c.keyword_rank else 0.0,
            c.fused / best_fused,
            len(shared) / len(q_terms) if q_terms else 0.0,
            sum(q_idf[t] for t in shared) / q_weight,
            best_window(body, q_idf, WINDOW) / q_weight,
            len(q_bigrams & set(zip(body, body[1:]))) / len(q_bigrams) if q_bigrams else 0.0,
            len(title_terms & q_terms) / len(title_terms) if title_terms else 0.0,
            max((q_idf[t] for t in shared), default=0.0) / rare,
        )
    # Document-level evidence: the retrieval is judged by documents, and a long document's
    # best chunk speaks for the others.
    col = {name: i for i, name in enumerate(FEATURES)}
    per_doc: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        per_doc.setdefault(c.chunk.doc_id, []).append(i)
    for members in per_doc.values():
        rows[members, col["doc_share"]] = len(members) / n
        rows[members, col["doc_best_rrf"]] = fused[members].max() / best_fused
        rows[members, col["doc_best_dense"]] = dense[members].max() - best_dense
        rows[members, col["doc_best_window"]] = rows[members, col["window"]].max()
    return rows


def _best_of_others(values: np.ndarray) -> np.ndarray:
    """For each position, the largest value at any *other* position (0 when there is none)."""
    if len(values) < 2:
        return np.zeros_like(values)
    order = np.argsort(-values, kind="stable")
    out = np.full_like(values, values[order[0]])
    out[order[0]] = values[order[1]]
    return out


def best_window(body: Sequence[str], weights: dict[str, float], width: int) -> float:
    """The largest sum of ``weights`` of distinct terms occurring together within ``width``
    consecutive terms of ``body`` (term proximity: the question's words near each other)."""
    hits = [(i, t) for i, t in enumerate(body) if t in weights]
    counts: dict[str, int] = {}
    best = current = 0.0
    lo = 0
    for pos, term in hits:
        counts[term] = counts.get(term, 0) + 1
        if counts[term] == 1:
            current += weights[term]
        while pos - hits[lo][0] >= width:
            old = hits[lo][1]
            counts[old] -= 1
            if counts[old] == 0:
                current -= weights[old]
            lo += 1
        best = max(best, current)
    return best


def load_weights(path: Path | Traversable) -> LinearModel:
    """The features reranker's weights file, checked against :data:`FEATURES`."""
    return LinearModel.load(path, FEATURES, "python -m eval.fit_reranker")


class FeatureReranker:
    """A linear model over :data:`FEATURES` (no encoder call, a few ms per question); ``score``
    is ``sigmoid(w . x)``, meaningful only for ordering the candidates of one question."""

    def __init__(self, model: LinearModel, terms: Terms, idf: Idf) -> None:
        self._model = model
        self._terms = terms
        self._idf = idf

    def rerank(self, question: str, query_vector: np.ndarray,
               candidates: Sequence[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        scores = self._model.score(features(question, candidates, self._terms, self._idf))
        for cand, s in zip(candidates, scores):
            cand.score = float(s)
        return _sorted(candidates)


class CrossEncoderReranker:
    """A local sentence-transformers ``CrossEncoder`` directory scores (question, passage) pairs."""

    def __init__(self, path: Path, device: str = "cpu") -> None:
        from index.embedder import force_offline

        force_offline()
        if not (Path(path) / "config.json").is_file():
            raise ConfigError(f"retrieval.cross_encoder_path {path} is not a local model "
                              "directory (no config.json there)")
        from sentence_transformers import CrossEncoder

        self._model = CrossEncoder(str(path), device=device, local_files_only=True)

    def rerank(self, question: str, query_vector: np.ndarray,
               candidates: Sequence[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        scores = self._model.predict([(question, c.chunk.text) for c in candidates],
                                     show_progress_bar=False)
        for cand, s in zip(candidates, np.asarray(scores, dtype=np.float64).reshape(-1)):
            cand.score = float(s) if math.isfinite(float(s)) else -math.inf
        return _sorted(candidates)


def _sorted(candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.score, -c.fused, c.chunk.chunk_id))
