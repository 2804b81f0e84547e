"""Split clean documents into chunks with llama-index's sentence splitter.

Sizes are counted in the embedding model's own word pieces (the tokenizer is injected), so a
chunk never exceeds what the encoder reads: all-MiniLM-L6-v2 silently truncates past 256.
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.node_parser import SentenceSplitter

from index.types import Chunk, CleanDocument, Document

Tokenize = Callable[[str], list]


class Chunker:
    def __init__(self, chunk_size: int, chunk_overlap: int, tokenize: Tokenize) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=tokenize,
            include_metadata=False,
        )

    def split(self, clean: CleanDocument) -> list[Chunk]:
        """Chunks of ``clean`` in document order, each mapped to its original span."""
        doc = clean.document
        chunks: list[Chunk] = []
        cursor = 0
        for piece in self._splitter.split_text(clean.text):
            if not piece.strip():
                continue
            at = clean.text.find(piece, cursor)
            if at < 0:
                at = clean.text.find(piece)
            if at < 0:  # the splitter rewrote whitespace: fall back to a tolerant match
                at, piece = _tolerant_find(clean.text, piece, cursor)
            start, end = clean.original_span(at, at + len(piece))
            index = len(chunks)
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
                    metadata=_page_metadata(doc, start, end),
                )
            )
            cursor = at + 1
        return chunks


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
