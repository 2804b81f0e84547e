"""Second-stage reranking of the fused candidates.

``FeatureReranker`` (the default) scores each candidate with a logistic model over cheap features
computed in one pass, with weights fitted on one benchmark and checked on another by
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
    "dense",  # cosine of question and chunk vectors
    "dense_gap",  # dense minus the best dense score among the candidates
    "dense_rr",  # 1 / rank in the dense list (0 if absent)
    "bm25_rel",  # BM25 score / best BM25 score among the candidates
    "keyword_rr",  # 1 / rank in the keyword list (0 if absent)
    "rrf_rel",  # fused score / best fused score
    "coverage",  # share of the question's terms found in the chunk
    "idf_coverage",  # the same, weighted by inverse document frequency
    "bigram",  # share of the question's adjacent term pairs found in the chunk
    "title_coverage",  # idf-weighted share of the question's terms found in the title
    "title_in_question",  # share of the title's terms found in the question
    "first_chunk",  # 1 for a document's first chunk
    "rarest_match",  # idf of the rarest question term the chunk holds / the rarest term's idf
    "doc_share",  # share of the candidates that come from the same document
    "doc_best_rrf",  # best fused score among the document's candidates / best fused score
)


class Reranker(Protocol):
    def rerank(self, question: str, query_vector: np.ndarray,
               candidates: Sequence[Candidate]) -> list[Candidate]:
        """Return the candidates best first, with ``score`` set to the reranker's score."""
        ...


Terms = Callable[[str], list[str]]
Idf = Callable[[Sequence[str]], dict[str, float]]


def features(question: str, candidates: Sequence[Candidate], terms: Terms,
             idf: Idf) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate (missing dense scores count as 0)."""
    q_list = terms(question)
    q_terms = set(q_list)
    q_bigrams = set(zip(q_list, q_list[1:]))
    weights = idf(sorted(q_terms))
    q_weight = sum(weights.get(t, 0.0) for t in q_terms) or 1.0
    dense = [c.dense if c.dense is not None else 0.0 for c in candidates]
    best_dense = max(dense, default=0.0)
    best_bm25 = max((c.bm25 or 0.0 for c in candidates), default=0.0) or 1.0
    best_fused = max((c.fused for c in candidates), default=0.0) or 1.0
    rare = max((weights.get(t, 0.0) for t in q_terms), default=0.0) or 1.0
    per_doc: dict[str, list[Candidate]] = {}
    for c in candidates:
        per_doc.setdefault(c.chunk.doc_id, []).append(c)
    rows = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
    for i, c in enumerate(candidates):
        body = terms(c.chunk.text)
        body_terms = set(body)
        title_terms = set(terms(c.chunk.title))
        shared = q_terms & body_terms
        rows[i] = (
            dense[i],
            dense[i] - best_dense,
            1.0 / c.dense_rank if c.dense_rank else 0.0,
            (c.bm25 or 0.0) / best_bm25,
            1.0 / c.keyword_rank if c.keyword_rank else 0.0,
            c.fused / best_fused,
            len(shared) / len(q_terms) if q_terms else 0.0,
            sum(weights.get(t, 0.0) for t in shared) / q_weight,
            len(q_bigrams & set(zip(body, body[1:]))) / len(q_bigrams) if q_bigrams else 0.0,
            sum(weights.get(t, 0.0) for t in q_terms & title_terms) / q_weight,
            len(title_terms & q_terms) / len(title_terms) if title_terms else 0.0,
            1.0 if c.chunk.index == 0 else 0.0,
            max((weights.get(t, 0.0) for t in shared), default=0.0) / rare,
            len(per_doc[c.chunk.doc_id]) / len(candidates),
            max(o.fused for o in per_doc[c.chunk.doc_id]) / best_fused,
        )
    return rows


def load_weights(path: Path | Traversable) -> LinearModel:
    """The features reranker's weights file, checked against :data:`FEATURES`."""
    return LinearModel.load(path, FEATURES, "python -m eval.fit_reranker")


class FeatureReranker:
    """Logistic regression over :data:`FEATURES` (no encoder call, a few ms per question)."""

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
