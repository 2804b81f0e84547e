"""Reciprocal rank fusion of the dense and keyword result lists, and near-duplicate collapse."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field

import numpy as np

from index.dates import STATED
from index.analysis import Analyzer, text_shingles
from index.types import Chunk
from rag.shapes import versions
from rag.time_scope import Scope
from rag.types import Passage

# A chunk's shingles (index.analysis.term_shingles): the release replica's stored terms
# (index.replica.ReleaseReplica.shingles), or :func:`shingles` of the chunk's text.
Shingles = Callable[[Chunk], Set[int]]


@dataclass
class Candidate:
    """One chunk on its way through fusion and reranking."""

    chunk: Chunk
    dense: float | None = None  # cosine of the question and chunk vectors
    dense_rank: int | None = None  # 1-based rank in the dense list
    bm25: float | None = None  # BM25 score
    keyword_rank: int | None = None  # 1-based rank in the keyword list
    fused: float = 0.0  # reciprocal rank fusion score
    score: float = 0.0  # the final ranking score (fused, or the reranker's)
    vector: np.ndarray | None = None  # the stored chunk vector (unit length)
    group: str | None = None  # the document's near-duplicate group (from the manifest)
    date: str = ""  # the document's date (index.dates), from the manifest
    date_source: str = ""  # where that date came from (index.dates.STATED: the document's word)
    period: tuple[int, int] | None = None  # the years the document covers (index.context)
    series: str = ""  # the organisation its document is about (index.context.document_series)
    # Near-duplicates of *other* documents collapsed into this one (collapse_duplicates): other
    # versions of the story, read for values they state otherwise (rag.stages.short_answer).
    versions: list[Candidate] = field(default_factory=list)


def rrf(rankings: Sequence[tuple[float, Sequence[str]]], k: float) -> dict[str, float]:
    """Reciprocal rank fusion: ``sum(weight / (k + rank))`` over the lists an id appears in.

    ``rankings`` holds ``(weight, ids best first)`` pairs; ranks are 1-based.
    """
    fused: dict[str, float] = {}
    for weight, ids in rankings:
        for rank, item in enumerate(ids, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def fuse(dense: Sequence[Chunk], keyword: Sequence[tuple[Chunk, float]],
         k: float, dense_weight: float, keyword_weight: float) -> list[Candidate]:
    """Merge the dense ranking and the keyword (chunk, BM25 score) ranking, each best first,
    into candidates ordered by RRF score (the dense cosine is filled in later, from vectors)."""
    by_id: dict[str, Candidate] = {}
    for rank, chunk in enumerate(dense, start=1):
        by_id[chunk.chunk_id] = Candidate(chunk, dense_rank=rank)
    for rank, (chunk, score) in enumerate(keyword, start=1):
        cand = by_id.setdefault(chunk.chunk_id, Candidate(chunk))
        cand.bm25, cand.keyword_rank = score, rank
    fused = rrf([(dense_weight, [c.chunk_id for c in dense]),
                 (keyword_weight, [c.chunk_id for c, _ in keyword])], k)
    for cand in by_id.values():
        cand.fused = cand.score = fused.get(cand.chunk.chunk_id, 0.0)
    return sorted(by_id.values(), key=_order)


def _order(c: Candidate) -> tuple[float, int, str]:
    best = min(r for r in (c.dense_rank, c.keyword_rank, 10**9) if r is not None)
    return (-c.fused, best, c.chunk.chunk_id)


@functools.cache
def _analyzer() -> Analyzer:
    return Analyzer()


@functools.lru_cache(maxsize=1 << 13)
def shingles(text: str) -> frozenset[int]:
    """The passage's 3-grams of analysed terms (lower-cased, accents folded, stopwords
    dropped, English stems, as BM25 analyses text), for a retriever without a release
    replica. Cached: candidates come back question after question."""
    return text_shingles(_analyzer(), text)


def chunk_shingles(chunk: Chunk) -> frozenset[int]:
    return shingles(chunk.text)


def overlap(a: Set[int], b: Set[int]) -> float:
    """Containment of the smaller shingle set in the larger (1.0: one passage repeats the other)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True)
class DuplicateRule:
    """When two passages count as near-duplicates (any condition suffices).

    ``text``: at least this share of the smaller passage's 3-grams of analysed terms (stopwords
    dropped, stemmed: :func:`shingles`) occur in the other (copies cut into chunks at other
    places, or with a word or two changed, still match); ``cosine``: their vectors are at least
    this similar; ``group_cosine``: passages of *different* documents that ingest put in one
    near-duplicate group (e.g. two outlets' rewrites of one story) whose vectors are at least
    this similar. Values above 1 disable a condition.
    """

    text: float = 0.8
    cosine: float = 0.95
    group_cosine: float = 0.8

    def duplicates(self, a: Candidate, a_sh: Set[int], b: Candidate, b_sh: Set[int]) -> bool:
        if a.period is not None and b.period is not None and a.period != b.period:
            # Reports on different periods (one agency's 2015 and 2019 reports) are no versions
            # of each other, however alike their tables read: only a verbatim repeat collapses.
            return a.chunk.text == b.chunk.text
        if self.text <= 1.0 and overlap(a_sh, b_sh) >= self.text:
            return True
        if a.vector is None or b.vector is None:
            return False
        cosine = float(a.vector @ b.vector)
        if cosine >= self.cosine:
            return True
        return (a.group is not None and a.group == b.group
                and a.chunk.doc_id != b.chunk.doc_id and cosine >= self.group_cosine)


def newer(a: Candidate, b: Candidate) -> bool:
    """Whether ``a``'s document states a later date than ``b``'s. Only dates the documents state
    count (index.dates.STATED), never a file's modification time; a day-only date is compared by
    its day."""
    if a.date_source not in STATED or b.date_source not in STATED or not a.date or not b.date:
        return False
    if len(a.date) == len(b.date):
        return a.date > b.date
    return a.date[:10] > b.date[:10]


def of_period(c: Candidate, scope: Scope | None) -> int:
    """1 when ``c``'s document covers the asked period (the years its title or text states,
    else the year of its stated date), -1 when it states another, 0 when it states none."""
    period = c.period
    if period is None and c.date_source in STATED and c.date[:4].isdigit():
        period = (int(c.date[:4]), int(c.date[:4]))
    if scope is None or period is None:
        return 0
    return 1 if scope.overlaps(*period) else -1


def _first(a: Candidate, b: Candidate, scope: Scope | None) -> bool:
    """Whether version ``a`` takes the place of version ``b``: the one of the asked period
    (``scope``), else the newer by stated date, else, for two documents of one series
    (rag.shapes.versions.series_key), the later version number their file names write
    ("django-organization-5.1.4.txt" over "...-3.2.25.txt")."""
    fit_a, fit_b = of_period(a, scope), of_period(b, scope)
    if fit_a != fit_b:
        return fit_a > fit_b
    if newer(a, b) or newer(b, a):
        return newer(a, b)
    x, y = _bare(a), _bare(b)
    if versions.series_key(x) != versions.series_key(y) or not versions.series_key(x):
        return False
    number_a, number_b = versions.version_number(x), versions.version_number(y)
    return number_a is not None and number_b is not None and \
        versions.when(x) > versions.when(y)  # type: ignore[operator]


def _bare(c: Candidate) -> Passage:
    """The candidate as a passage without its text: what rag.shapes.versions reads of it."""
    return Passage(c.chunk.chunk_id, c.chunk.doc_id, c.chunk.title, "", 0, 0, 0.0,
                   date=c.date, date_source=c.date_source, period=c.period)


MAX_VERSIONS = 8  # other documents' versions kept beside a passage, at most


def _version(kept: Candidate, dropped: Candidate) -> None:
    """Keep ``dropped`` (and the versions it held) beside ``kept`` when it is another
    document's: a re-issue that states another figure is a source of its own."""
    for c in [dropped, *dropped.versions]:
        docs = {v.chunk.doc_id for v in kept.versions} | {kept.chunk.doc_id}
        if c.chunk.doc_id not in docs and len(kept.versions) < MAX_VERSIONS:
            kept.versions.append(c)
    dropped.versions = []


def collapse_duplicates(ranked: Sequence[Candidate], rule: DuplicateRule,
                        limit: int | None = None,
                        shingles_of: Shingles = chunk_shingles,
                        scope: Scope | None = None) -> list[Candidate]:
    """One candidate of each set of near-duplicates (see :class:`DuplicateRule`), in the place
    of the best-ranked one, keeping the order; ``limit`` places at most.

    The one kept is the *newest version*: a candidate whose document states a later date than
    the one holding the place (:func:`newer`) takes that place, so a story re-issued or corrected
    outranks its older telling wherever either ranked; without stated dates the better-ranked
    one stays. For a question asking of a period (``scope``, rag.time_scope), the version of
    that period comes first (:func:`of_period`): "the meal allowance in 2023" reads the 2023
    policy, not the 2025 one that retrieval collapsed it into. The other documents' versions
    collapsed into a place ride with it (``Candidate.versions``). Once ``limit`` places are
    filled, the rest of the list is read only for such versions, and for other documents'
    versions of a kept one."""
    limit = len(ranked) if limit is None else limit
    kept: list[list] = []  # [candidate, its shingles]
    oldest = None  # the earliest stated date among the kept (None: none states one)
    dated = scope is not None and not scope.latest
    for cand in ranked:
        full = len(kept) >= limit
        older = full and (oldest is None or cand.date_source not in STATED
                          or cand.date[:10] <= oldest)  # cannot be a newer version of any kept
        older = older and not (dated and of_period(cand, scope) > 0)
        sh = shingles_of(cand.chunk)
        twin = next((slot for slot in kept if rule.duplicates(cand, sh, slot[0], slot[1])),
                    None)
        if older:
            if twin is not None:
                _version(twin[0], cand)  # still another document's version of a kept one
            continue
        if twin is not None:
            if _first(cand, twin[0], scope if dated else None):
                _version(cand, twin[0])
                twin[0], twin[1] = cand, sh
            else:
                _version(twin[0], cand)
                continue
        elif full:
            continue
        else:
            kept.append([cand, sh])
        stated = [c.date[:10] for c, _ in kept if c.date_source in STATED and c.date]
        oldest = min(stated) if stated else None
    return [c for c, _ in kept]
