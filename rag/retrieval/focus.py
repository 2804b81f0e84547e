"""Step 10 of retrieval: the focused re-read of the found document.

Over a long document (a trial protocol, a manual, a policy, a report) the question's subject
finds the right document first, but the passage it finds is the one that names that subject
(a study's description), not the section the question asks about ("the exclusion criteria",
"the schedule of events"). The question's *focus* is what it asks beyond naming the document:
its terms minus those the document is identified by (its title, its file name, its opening,
where it says what it is about: index/context.py, and terms most of its chunks hold).
The document's chunks are searched for the focus alone (BM25 over that document's chunks, the
keyword index's weights), and the best one or two that are not yet among the passages, when
they hold most of the focus, are put right after the top passage (the lowest ones leave, so the
count stays the same).

Only chunks the question may see are added: the top document is one the scope allowed, and each
added chunk goes through the same committed-only read, collection check and passage screen as
the searches' own (rag/retrieval/hybrid.py)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from index.snapshot import ReleaseSnapshot
from index.types import Chunk

# Words of how a question is put, not of what it asks about (after the analyzer's stopwords;
# compared as the analyzer's terms).
ASKING_WORDS = ("what", "which", "when", "where", "who", "whom", "whose", "why", "how",
                "do", "does", "did", "i", "we", "you", "my", "our", "can", "could", "should",
                "would", "may", "must", "according", "describe", "described", "list", "listed", "mention", "mentioned",
                "name", "named", "give", "given", "state", "stated", "say", "says", "tell",
                "document", "documents", "per")
MIN_TERMS = 2  # a focus of fewer terms re-reads nothing: one word does not find a section
_QUESTION_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class FocusRule:
    """``passages``: chunks added at most (0: no re-read); ``min_coverage``: the share of the
    focus's weight (each term's idf) an added chunk must hold, its header with its text;
    ``subject_share``: a question term in at least this share of the document's chunks names
    the document (its subject), not the asked thing."""

    passages: int = 1
    min_coverage: float = 0.4
    subject_share: float = 0.5

    @property
    def enabled(self) -> bool:
        return self.passages > 0


@dataclass(frozen=True)
class FocusHit:
    chunk: Chunk
    bm25: float
    coverage: float  # share of the focus's idf weight the chunk (header and text) holds


def _terms_in(snapshot: ReleaseSnapshot, chunk: Chunk) -> set[str]:
    """The analysed terms of a chunk's header and text."""
    analyzer = snapshot.analyzer
    return set(analyzer.terms(chunk.text)) | set(
        analyzer.terms(str(chunk.metadata.get("context") or "")))


def _share_in(snapshot: ReleaseSnapshot, term: str, rows: np.ndarray) -> float:
    """The share of ``rows`` (chunk positions) whose BM25 document (header and text) holds
    ``term``."""
    model = snapshot.bm25.model
    tid = snapshot.bm25.vocab.get(term)
    if model is None or tid is None or not len(rows):
        return 0.0
    indptr, indices = model.scores["indptr"], model.scores["indices"]
    posting = indices[indptr[tid]:indptr[tid + 1]]
    return float(np.isin(rows, posting, assume_unique=True).sum()) / len(rows)


def focus(snapshot: ReleaseSnapshot, question: str, top: Chunk, rule: FocusRule,
          rows: np.ndarray | None = None) -> list[str]:
    """The question's focus on ``top``'s document: the analysed question terms, in order and
    once each, without those naming the document (its title's, its file name's, its opening
    chunk's, those at least ``rule.subject_share`` of its chunks hold, header and text) nor
    words of asking. ``rows``: the document's chunk positions in ``snapshot`` (found here when
    not given)."""
    analyzer = snapshot.analyzer
    asking = set(analyzer.terms(" ".join(ASKING_WORDS)))
    # the file's name too: a registry's or a team's files are often named by what they are
    named = " ".join(re.split(r"[\W_]+", top.doc_id))
    if rows is None:
        rows = np.flatnonzero(snapshot.doc_mask([top.doc_id]))
    said = set(analyzer.terms(top.title)) | set(analyzer.terms(named)) | asking
    if len(rows):  # the document's opening states what it is about (index/context.py)
        opening = min((snapshot.chunks[int(i)] for i in rows), key=lambda c: c.start)
        said |= _terms_in(snapshot, opening)
    out: list[str] = []
    for term in analyzer.terms(question):
        if term in said or term in out:
            continue
        if _share_in(snapshot, term, rows) >= rule.subject_share:
            continue
        out.append(term)
    return out


def focus_words(snapshot: ReleaseSnapshot, question: str, top: Chunk,
                rule: FocusRule) -> tuple[str, ...]:
    """The question's words, as it writes them and in its order, whose analysed term is in its
    :func:`focus` on ``top``'s document ("exclusion", "criteria" of "What are the exclusion
    criteria of the remote physiotherapy knee study?"): what the answer shapes judge a list's
    heading or a procedure's section by (rag.shapes), in their own terms."""
    kept = set(focus(snapshot, question, top, rule))
    analyzer = snapshot.analyzer
    return tuple(w for w in _QUESTION_WORD.findall(question) if kept & set(analyzer.terms(w)))


def reread(snapshot: ReleaseSnapshot, question: str, top: Chunk, present: Collection[str],
           rule: FocusRule, limit: int) -> tuple[list[str], list[FocusHit]]:
    """The focus of ``question`` on ``top``'s document and its best chunks there that are not
    in ``present`` (chunk ids), best first: at most ``limit``, each holding at least
    ``rule.min_coverage`` of the focus and more of it than ``top`` holds; none for a focus of
    fewer than MIN_TERMS terms. Chunks of ``snapshot`` only (the caller checks that each is the
    release's and visible to the question)."""
    if snapshot.bm25.model is None or limit <= 0:
        return [], []
    mask = snapshot.doc_mask([top.doc_id])
    rows = np.flatnonzero(mask)
    if len(rows) < 2:
        return [], []
    terms = focus(snapshot, question, top, rule, rows)
    if len(terms) < MIN_TERMS:  # the question only names the subject, or one word beyond it
        return terms, []
    scores = snapshot.bm25.scores(terms, mask)
    if scores is None:
        return terms, []
    idf = snapshot.idf(terms)
    total = sum(idf.get(t, 0.0) for t in terms)
    if total <= 0:
        return terms, []
    from index.bm25 import best_positive

    def covered(chunk: Chunk) -> float:
        held = _terms_in(snapshot, chunk)
        return sum(idf.get(t, 0.0) for t in terms if t in held) / total

    # The top passage holding the focus as well is the section asked for: nothing to add.
    floor = max(rule.min_coverage, covered(top) + 1e-9)
    hits: list[FocusHit] = []
    for i in best_positive(scores, len(present) + 4):
        chunk = snapshot.chunks[int(i)]
        if chunk.chunk_id in present or chunk.doc_id != top.doc_id:
            continue
        coverage = covered(chunk)
        if coverage >= floor:
            hits.append(FocusHit(chunk, float(scores[i]), coverage))
            break
    if not hits:
        return terms, []
    # The section the best chunk opens goes on in the chunk after it (a list, a table, steps
    # cut by chunking): that one comes next, ahead of other chunks that hold the focus.
    best = hits[0].chunk
    after = [snapshot.chunks[int(i)] for i in rows
             if snapshot.chunks[int(i)].start > best.start]
    if limit > 1 and after:
        following = min(after, key=lambda c: c.start)
        if following.chunk_id not in present:
            row = snapshot.row[following.chunk_id]
            hits.append(FocusHit(following, float(scores[row]), 0.0))
    return terms, hits[:limit]


def place(ranked: Sequence, added: Sequence, size: int) -> list:
    """``added`` right after the first of ``ranked``, the whole cut to ``size`` (the lowest
    ones leave)."""
    if not ranked:
        return list(added)[:size]
    return [ranked[0], *added, *ranked[1:]][:size]
