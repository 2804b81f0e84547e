"""Second-stage reranking of the fused candidates.

``FeatureReranker`` (the default) scores each candidate with a linear model over cheap features
computed in one pass (a listwise fit: only the order within a question matters), with weights
fitted on one benchmark and checked on another by
``python -m fitting.fit_reranker`` (the fitted file ships as ``rag/rerank_weights.json``).
``CrossEncoderReranker`` runs a local sentence-transformers cross-encoder directory instead, for a
site that has one (none with weights is on PyPI).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ConfigError
from index.snapshot import TermHits
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
_COLUMN = {name: i for i, name in enumerate(FEATURES)}
WINDOW = 12  # terms (stopwords removed: about a sentence) for the proximity feature

class Reranker(Protocol):
    def rerank(self, question: str, query_vector: np.ndarray,
               candidates: Sequence[Candidate]) -> list[Candidate]:
        """Return the candidates best first, with ``score`` set to the reranker's score."""
        ...


Terms = Callable[[str], list[str]]
Idf = Callable[[Sequence[str]], dict[str, float]]
# Where the question's terms occur in each chunk's analysed text, read from an index that holds
# the chunks analysed (index.replica.ReleaseReplica.matches): for question terms ``q`` and chunk
# ids, the hits of every chunk it holds.
Matches = Callable[[Sequence[str], Sequence[str]], TermHits]


def features(question: str, candidates: Sequence[Candidate], terms: Terms,
             idf: Idf, matches: Matches | None = None,
             title_terms: Callable[[str], Collection[str]] | None = None) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate (missing dense scores count as 0).

    Every feature is relative to the question or to the other candidates of the same question
    (gaps, leads, shares, standardised values), never a raw cosine or BM25 score, and lies on a
    scale of about one, so that weights fitted on one corpus carry over to another whose raw
    score scales differ.

    The text features need only where the question's terms occur in the candidate (see
    :func:`term_hits`): ``matches`` gives them from the index's analysed copy of the chunks
    (no text analysed on the query path); a chunk it lacks is analysed here with ``terms``.
    ``title_terms``: a title's distinct terms from the same index (else analysed here).
    """
    q_list = terms(question)
    q_order = sorted(set(q_list))
    n = len(candidates)
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if not n:
        return rows
    # dense, BM25, fused, 1/dense rank, 1/keyword rank: one pass over the candidates
    dense, bm25, fused, dense_rr, keyword_rr = np.array(
        [(c.dense or 0.0, c.bm25 or 0.0, c.fused, 1.0 / c.dense_rank if c.dense_rank else 0.0,
          1.0 / c.keyword_rank if c.keyword_rank else 0.0) for c in candidates],
        dtype=np.float64).T
    best_dense = float(dense.max())
    spread = float(dense.std())
    best_bm25 = float(bm25.max()) or 1.0
    best_fused = float(fused.max()) or 1.0
    rows[:, 0] = dense - best_dense
    rows[:, 1] = dense - _best_of_others(dense)
    rows[:, 2] = (dense - dense.mean()) / spread if spread > 1e-9 else 0.0
    rows[:, 3] = dense_rr
    rows[:, 4] = bm25 / best_bm25
    rows[:, 5] = (bm25 - _best_of_others(bm25)) / best_bm25
    rows[:, 6] = keyword_rr
    rows[:, 7] = fused / best_fused
    rows[:, 8:14] = _text_columns(q_list, q_order, candidates, terms, idf, matches, title_terms)
    _document_columns(rows, candidates, fused, dense)
    return rows


def _text_columns(q_list: Sequence[str], q_order: Sequence[str],
                  candidates: Sequence[Candidate], terms: Terms, idf: Idf,
                  matches: Matches | None,
                  title_terms: Callable[[str], Collection[str]] | None) -> np.ndarray:
    """The text features (coverage to rarest_match) of every candidate, scaled."""
    q_index = {t: j for j, t in enumerate(q_order)}
    q_bigrams = {(q_index[a], q_index[b]) for a, b in zip(q_list, q_list[1:])}
    weights = idf(q_order)
    q_idf = [weights.get(t, 0.0) for t in q_order]
    q_weight = sum(q_idf) or 1.0
    rare = max(q_idf, default=0.0) or 1.0
    q_terms = set(q_order)
    hits = _hits(q_order, candidates, terms, matches)
    titles: dict[str, float] = {}
    for c in candidates:
        if c.chunk.title not in titles:
            title = (title_terms(c.chunk.title) if title_terms is not None
                     else set(terms(c.chunk.title)))
            titles[c.chunk.title] = len(q_terms.intersection(title)) / len(title) if title else 0.0
    text_columns = _text_features(len(candidates), hits, np.asarray(q_idf, dtype=np.float64),
                                  q_bigrams, WINDOW)
    text_columns[:, 0] /= len(q_order) or 1
    text_columns[:, 1:3] /= q_weight
    text_columns[:, 3] /= len(q_bigrams) or 1
    text_columns[:, 4] = [titles[c.chunk.title] for c in candidates]
    text_columns[:, 5] /= rare
    return text_columns


def _document_columns(rows: np.ndarray, candidates: Sequence[Candidate], fused: np.ndarray,
                      dense: np.ndarray) -> None:
    """Document-level evidence into ``rows``: the retrieval is judged by documents, and a long
    document's best chunk speaks for the others."""
    n = len(candidates)
    best_dense = float(dense.max())
    best_fused = float(fused.max()) or 1.0
    number: dict[str, int] = {}
    doc = np.fromiter((number.setdefault(c.chunk.doc_id, len(number)) for c in candidates),
                      dtype=np.int64, count=n)
    col = _COLUMN
    best = np.full((len(number), 3), -np.inf)
    for j, values in enumerate((fused, dense, rows[:, col["window"]])):
        np.maximum.at(best[:, j], doc, values)
    rows[:, col["doc_share"]] = np.bincount(doc)[doc] / n
    rows[:, col["doc_best_rrf"]] = best[doc, 0] / best_fused
    rows[:, col["doc_best_dense"]] = best[doc, 1] - best_dense
    rows[:, col["doc_best_window"]] = best[doc, 2]


def term_hits(body: Sequence[str], q_index: dict[str, int]) -> list[tuple[int, int]]:
    """Each occurrence of a question term in the analysed text ``body``: (its position, the
    term's index in ``q_index``), in text order."""
    return [(i, q_index[t]) for i, t in enumerate(body) if t in q_index]


def _hits(q_order: Sequence[str], candidates: Sequence[Candidate], terms: Terms,
          matches: Matches | None) -> TermHits:
    """The question terms' hits in every candidate: from the index's stored terms
    (``matches``), the candidates it does not hold analysed here."""
    n = len(candidates)
    none = np.zeros(0, dtype=np.int64)
    if not q_order or not n:
        return TermHits(np.zeros(n, dtype=bool), none, none, none)
    found = (matches(q_order, [c.chunk.chunk_id for c in candidates]) if matches is not None
             else TermHits(np.zeros(n, dtype=bool), none, none, none))
    missing = np.flatnonzero(~found.held)
    if not len(missing):
        return found
    q_index = {t: j for j, t in enumerate(q_order)}
    extra = [(i, p, j) for i in missing.tolist()
             for p, j in term_hits(terms(candidates[i].chunk.text), q_index)]
    if not extra:
        return found
    segment, position, term = (np.concatenate((old, np.array(new, dtype=np.int64)))
                               for old, new in zip(found[1:], zip(*extra)))
    order = np.lexsort((position, segment))
    return TermHits(np.ones(n, dtype=bool), segment[order], position[order], term[order])


def _text_features(n: int, hits: TermHits, q_idf: np.ndarray, q_bigrams: set[tuple[int, int]],
                   width: int) -> np.ndarray:
    """Per candidate, before scaling: distinct question terms held, their idf sum, the best
    ``width``-term window's idf sum of distinct terms, distinct question bigrams held
    (adjacent in the text), 0 (the title column, filled by the caller), and the idf of the
    rarest term held. All from the hits in a few array passes (no loop over candidates)."""
    out = np.zeros((n, 6), dtype=np.float64)
    seg, pos, term = hits.segment, hits.position, hits.term
    if not len(seg):
        return out
    q = len(q_idf)
    held = np.zeros(n * q, dtype=bool)  # (candidate, term): the candidate holds the term
    held[seg * q + term] = True
    held = held.reshape(n, q)
    out[:, 0] = held.sum(axis=1)
    out[:, 1] = held @ q_idf
    out[:, 5] = (held * q_idf).max(axis=1, initial=0.0)
    # the window ending at each hit: hits of the same candidate less than ``width`` before it
    key = seg * (int(pos.max()) + width + 1) + pos
    lo = np.searchsorted(key, key - width + 1, side="left")
    seen = np.zeros((len(seg) + 1, q), dtype=np.int32)
    seen[np.arange(1, len(seg) + 1), term] = 1
    np.cumsum(seen, axis=0, out=seen)
    inside = (seen[1:] - seen[lo]) > 0  # (hit, term): the term occurs in that hit's window
    first = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1])))  # seg is sorted
    out[seg[first], 2] = np.maximum.reduceat(inside @ q_idf, first)
    if q_bigrams:
        codes = np.array(sorted(a * q + b for a, b in q_bigrams), dtype=np.int64)
        adjacent = np.flatnonzero((seg[1:] == seg[:-1]) & (pos[1:] == pos[:-1] + 1))
        pair = term[adjacent] * q + term[adjacent + 1]
        at = np.minimum(np.searchsorted(codes, pair), len(codes) - 1)
        wanted = codes[at] == pair
        found = np.zeros(n * len(codes), dtype=bool)  # (candidate, bigram) held
        found[seg[adjacent][wanted] * len(codes) + at[wanted]] = True
        out[:, 3] = found.reshape(n, len(codes)).sum(axis=1)
    return out


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
    order = sorted(weights)
    found = term_hits(body, {t: j for j, t in enumerate(order)})
    if not found:
        return 0.0
    position, term = (np.array(x, dtype=np.int64) for x in zip(*found))
    hits = TermHits(np.ones(1, dtype=bool), np.zeros(len(found), dtype=np.int64), position, term)
    return float(_text_features(1, hits, np.array([weights[t] for t in order]), set(),
                                width)[0, 2])


def load_weights(path: Path | Traversable) -> LinearModel:
    """The features reranker's weights file, checked against :data:`FEATURES`."""
    return LinearModel.load(path, FEATURES, "python -m fitting.fit_reranker")


class FeatureReranker:
    """A linear model over :data:`FEATURES` (no encoder call, a few ms per question); ``score``
    is ``sigmoid(w . x)``, meaningful only for ordering the candidates of one question."""

    def __init__(self, model: LinearModel, terms: Terms, idf: Idf,
                 matches: Matches | None = None,
                 title_terms: Callable[[str], Collection[str]] | None = None) -> None:
        self._model = model
        self._terms = terms
        self._idf = idf
        self._matches = matches
        self._title_terms = title_terms

    def rerank(self, question: str, query_vector: np.ndarray,
               candidates: Sequence[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        scores = self._model.score(features(question, candidates, self._terms, self._idf,
                                            self._matches, self._title_terms))
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
