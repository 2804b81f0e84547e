"""Split clean documents into chunks with llama-index's sentence splitter.

Sizes are counted in the embedding model's own word pieces (the tokenizer is injected), so a
chunk never exceeds what the encoder reads: all-MiniLM-L6-v2 silently truncates past 256.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sep

from index import context as doc_context
from index.types import Chunk, CleanDocument, Document

Tokenize = Callable[[str], list]
# Where a sentence too long for a chunk may be cut, after its lines: after a comma, semicolon or
# full stop, never inside a figure ("135.05", "1,234" stay whole; llama-index's default cuts them).
WITHIN_SENTENCE = r"(?:[^,.;。？！]|[,.](?=\d))+[,.;。？！]?|[,.;。？！]"


class Chunker:
    """``context_headers``: each chunk carries its document's context (index/context.py) in
    ``metadata["context"]``, which ingest embeds before its text and BM25 indexes with it."""

    def __init__(self, chunk_size: int, chunk_overlap: int, tokenize: Tokenize,
                 context_headers: bool = False) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._tokenize = tokenize
        self.context_headers = context_headers
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=tokenize,
            include_metadata=False,
            secondary_chunking_regex=WITHIN_SENTENCE,
        )
        # A "sentence" longer than a chunk (a table's rows have no full stops) is cut at its
        # line ends first, so a chunk holds whole rows: the default cut at every comma and
        # full stop left rows in two chunks mid-figure ("FY 2017 Results: $135." | "05 | ...").
        self._splitter._sub_sentence_split_fns.insert(0, split_by_sep("\n"))

    def split(self, clean: CleanDocument) -> list[Chunk]:
        """Chunks of ``clean`` in document order, each mapped to its original span."""
        doc = clean.document
        placed = self._split_in_place(clean.text)
        if placed is None:
            pieces = [p for p in self._splitter.split_text(clean.text) if p.strip()]
            placed = _place(clean.text, pieces)
        headers = self._headers(clean, placed) if self.context_headers else [""] * len(placed)
        chunks: list[Chunk] = []
        for index, (at, piece) in enumerate(placed):
            start, end = clean.original_span(at, at + len(piece))
            extra = {"context": headers[index]} if headers[index] else {}
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{doc.content_hash[:12]}#{index}",
                    doc_id=doc.doc_id,
                    doc_hash=doc.content_hash,
                    title=doc.title,
                    text=piece,
                    start=start,
                    end=end,
                    index=index,
                    metadata={**_page_metadata(doc, start, end), **extra},
                )
            )
        return chunks

    @property
    def signature(self) -> str:
        """What, besides a document's bytes, decides its stored chunks and vectors: empty for
        plain chunks (the versions indexed before headers existed stay as they are), else the
        header's version (index/ingest.py re-embeds a version stored under another)."""
        return doc_context.VERSION if self.context_headers else ""

    def _headers(self, clean: CleanDocument, placed: list[tuple[int, str]]) -> list[str]:
        """Each chunk's header, in the word pieces left beside its text by the encoder."""
        doc = clean.document
        context = doc_context.document_context(doc.title, clean.text, doc.doc_id)
        if doc.context:  # what its container says of it (a mail's attachment: the mail's)
            context = dataclasses.replace(context, title=doc.context)
        found = doc_context.headings(clean.text)

        def count(text: str) -> int:
            return len(self._tokenize(text))

        return [doc_context.header(context, doc_context.heading_path(found, at), count,
                                   doc_context.ENCODER_PIECES - 1 - count(piece))
                for at, piece in placed]

    def _split_in_place(self, text: str) -> list[tuple[int, str]] | None:
        """The splitter's chunks with where each starts, known rather than searched for.

        ``SentenceSplitter`` cuts the text into small splits, then merges runs of consecutive
        splits into chunks. When the splits put together give the text back (they do unless a
        regex split dropped characters), the merge is run on numbered stand-ins for the splits,
        so each chunk is known as a run of splits and so as a span of the text: exact even when
        the same words occur many times. None: the splits lost text, search instead (_place).
        """
        if not text.strip():
            return []
        splitter = self._splitter
        try:
            splits = splitter._split(text, splitter.chunk_size)
        except RecursionError:
            return None
        if "".join(split.text for split in splits) != text:
            return None
        bounds = [0]
        for split in splits:
            bounds.append(bounds[-1] + len(split.text))
        stand_ins = [dataclasses.replace(split, text=f"\x00{i}\x00")
                     for i, split in enumerate(splits)]
        placed = []
        for merged in splitter._merge(stand_ins, splitter.chunk_size):
            numbers = [int(n) for n in merged.split("\x00") if n]
            start, end = bounds[numbers[0]], bounds[numbers[-1] + 1]
            piece = text[start:end]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                placed.append((start + lead, piece.strip()))
        return placed


_BEAM = 16  # placements kept per chunk when repeated text makes a chunk's place ambiguous


def _place(text: str, pieces: list[str]) -> list[tuple[int, str]]:
    """Where each chunk text starts in ``text``: (offset, exact text) per piece, in order.

    The splitter's chunks follow each other: each starts after the previous one's start, no
    later than its end (they overlap or touch, whitespace aside), and ends after it. In ordinary
    text a chunk occurs once in that window. When the text repeats itself ("0:0:0:...", a long
    run of one character cut by characters) it occurs at many places there, and neither the
    first nor the last one is right every time: the first stacks the chunks at the start, the
    last runs out of text before the chunks do, and either leaves kept text that no chunk's span
    covers. So the placements are followed as a small beam (those nearest to where the piece
    would start if the overlaps were even), and the chain that ends at the end of the text wins. A chunk the splitter rewrote is found by its words (whitespace-tolerant).
    """
    # a state: (start, end, index of its parent state in the previous layer)
    layers: list[list[tuple[int, int, int]]] = [[(-1, 0, -1)]]
    # Where a piece should start if the chunks overlap evenly: the pieces' lengths together
    # exceed the text's by the overlaps.
    scale = len(text.rstrip()) / max(1, sum(len(p) for p in pieces))
    expected = 0.0
    found: list[str] = []
    for piece in pieces:
        candidates: dict[int, int] = {}
        for parent, (start, end, _) in enumerate(layers[-1]):
            limit = end
            while limit < len(text) and text[limit].isspace():
                limit += 1
            at = text.find(piece, max(start + 1, end - len(piece) + 1), limit + len(piece))
            while 0 <= at <= limit:
                candidates.setdefault(at, parent)
                at = text.find(piece, at + 1, limit + len(piece))
        exact = piece
        if not candidates:  # not adjacent: the next occurrence, else the splitter rewrote it
            parent = min(range(len(layers[-1])), key=lambda i: layers[-1][i][1])
            start, end, _ = layers[-1][parent]
            at = text.find(piece, end)
            if at < 0:
                at = text.find(piece, max(start, 0))
            if at < 0:
                at, exact = _tolerant_find(text, piece, max(start, 0))
            candidates = {at: parent}
        starts = sorted(candidates)
        if len(starts) > _BEAM:  # keep the placements nearest to where the piece should be
            starts = sorted(sorted(starts, key=lambda at: abs(at - expected))[:_BEAM])
        expected += len(piece) * scale
        layers.append([(at, at + len(exact), candidates[at]) for at in starts])
        found.append(exact)
    if not found:
        return []
    last = len(text.rstrip())
    state = max(range(len(layers[-1])), key=lambda i: (layers[-1][i][1] >= last,
                                                       layers[-1][i][1]))
    placed: list[tuple[int, str]] = []
    for depth in range(len(layers) - 1, 0, -1):
        start, _, parent = layers[depth][state]
        placed.append((start, found[depth - 1]))
        state = parent
    return placed[::-1]


def _page_metadata(doc: Document, start: int, end: int) -> dict[str, str | int | float | bool]:
    """``page_start``/``page_end`` (1-based) for formats with pages, else nothing."""
    if not doc.page_starts:
        return {}
    return {"page_start": doc.page_at(start), "page_end": doc.page_at(end - 1)}


def _tolerant_find(text: str, piece: str, cursor: int) -> tuple[int, str]:
    """Find ``piece`` in ``text`` ignoring whitespace differences; return (offset, exact text)."""
    import re

    words = piece.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.compile(pattern).search(text, cursor) or re.compile(pattern).search(text)
    if m is None:
        raise ValueError("chunk text not found in its document")
    return m.start(), m.group(0)
