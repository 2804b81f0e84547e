"""Property-based tests (Hypothesis) of cleaning, chunking and span mapping.

For any text (control characters, NULs, right-to-left and combining marks, very long lines, every
kind of line break, markup fragments, escapes, boilerplate lines) these must hold:

- cleaning never raises; every kept character maps to an offset in the original whose character
  is the same one (or, for squeezed whitespace and line breaks, a whitespace character there);
  the offsets never go backwards;
- every chunk's original span ``original[start:end]``, cleaned again, is exactly the chunk's text;
- no kept character is lost between chunks: each one lies inside some chunk's original span;
- a span of a passage maps (``SpanLocator.locate``) to original offsets whose text, cleaned, is
  that span of the passage.

The chunker uses the bundled model's own tokenizer (no model weights are loaded, so these are in
the fast subset) with a small chunk size, so that short texts are split into several chunks.
Failing examples found while writing these are kept as ``@example``s.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.chunking import Chunker
from index.cleaning import Cleaner
from index.types import Document
from rag.span_locator import SpanLocator
from rag.types import Passage

EXAMPLES = int(os.environ.get("RAG_PROPERTY_EXAMPLES", "200"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FRAGMENTS = [
    # markup, escapes and entities
    "<b>", "</a>", "<p class='x'>", "<br/>", "<", ">", "<<", "<3", "&amp;", "\\$", "\\*", "\\",
    # control characters, NUL, byte-order mark, zero-width and bidi marks
    "\x00", "\x01", "\x7f", "\ufeff", "\u200b", "\u200d", "\u202e", "\u2066", "\u061c",
    # combining marks, ligatures and case-changing letters, right-to-left and CJK text
    "e\u0301", "\u0301", "\ufb01", "\u0130", "\u00df", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",
    "\u4e2d\u6587", "\U00020000", "\U0001f600",
    # every line break Python's splitlines knows, and spacing
    "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029",
    "  ", "\t", "\u00a0", "\u3000",
    # sentences, boilerplate and block starts
    "The dam was inspected in March. ", "Dr. Smith arrived at 3 p.m. ", "Read more",
    "Advertisement", "## Subscribe to the paper", "Share this:", "a. ", "1. ", "? ", "...",
]
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
LONG = st.sampled_from(["x" * 700, "word " * 150, "0:" * 300, "\u05d0" * 400])
TEXTS = st.lists(st.one_of(st.sampled_from(FRAGMENTS), WORDS, LONG), max_size=80).map("".join)


def document(text: str) -> Document:
    return Document(doc_id="d.txt", title="t", text=text, source_path="d.txt", mtime=0.0,
                    content_hash="0" * 64)


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    import transformers
    from transformers import AutoTokenizer

    from index.embedder import resolve_model

    transformers.logging.set_verbosity_error()  # long texts: "longer than the maximum" is fine
    path, _ = resolve_model("all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    return Chunker(40, 8, tokenizer.tokenize)


CLEANER = Cleaner()


@PROPERTY
@given(TEXTS)
@example("<b>Read more</b>")  # boilerplate in markup was kept, and its span re-cleaned to ""
@example("\\$" + "x" * 600)
def test_cleaning_maps_every_kept_character_back(text: str):
    clean = CLEANER.clean(document(text))
    assert len(clean.offsets) == len(clean.text)
    previous = -1
    for i, char in enumerate(clean.text):
        at = int(clean.offsets[i])
        assert 0 <= at < len(text)
        assert at >= previous, (i, at, previous)
        previous = at
        assert char == text[at] or (char.isspace() and text[at].isspace()), (i, char, text[at])
    if clean.text:
        start, end = clean.original_span(0, len(clean.text))
        assert CLEANER.clean(document(text[start:end])).text == clean.text


@PROPERTY
@given(TEXTS)
@example("<b>Read more")  # the chunk "Read more" mapped to a span that cleans to nothing
# A run of "x" cut by characters into identical pieces: every chunk was placed at the first
# match, stacked near the start, and most of the text had no chunk pointing at it.
@example("\\$0:0:0:0:0:0:0:0:0:0:0:0:0:0\U00020000" + "x" * 500 + "\\$0:0:0:0:0:")
@example("x" * 2000)
# Periodic text whose chunks overlap by several characters: taking the last match instead left
# the chunks short of the end of the text.
@example("0:" * 600)
def test_chunks_cover_the_kept_text_and_map_back_exactly(chunker: Chunker, text: str):
    clean = CLEANER.clean(document(text))
    chunks = chunker.split(clean)
    if clean.text.strip():
        assert chunks
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.text.strip()
        assert CLEANER.clean(document(text[chunk.start:chunk.end])).text == chunk.text
    spans = [(c.start, c.end) for c in chunks]
    lost = [i for i, char in enumerate(clean.text) if not char.isspace()
            and not any(a <= int(clean.offsets[i]) < b for a, b in spans)]
    assert not lost, f"kept text in no chunk: {''.join(clean.text[i] for i in lost)[:200]!r}"


class Texts:
    def __init__(self, text: str) -> None:
        self.text = text

    def document_text(self, doc_id: str) -> str:
        return self.text


@PROPERTY
@given(TEXTS, st.data())
@example("<b>Read more</b> and <i>then</i>\r\n\r\nthe  end.", None)
def test_passage_spans_map_to_the_original_text(chunker: Chunker, text: str, data):
    clean = CLEANER.clean(document(text))
    chunks = chunker.split(clean)
    if not chunks:
        return
    locator = SpanLocator(Texts(text), CLEANER)
    for chunk in chunks if data is None else [data.draw(st.sampled_from(chunks))]:
        passage = Passage(chunk.chunk_id, chunk.doc_id, chunk.title, chunk.text, chunk.start,
                          chunk.end, 1.0)
        size = len(passage.text)
        if data is None:
            pairs = [(0, size), (0, 1), (size - 1, size)]
        else:
            s = data.draw(st.integers(0, size - 1))
            pairs = [(s, data.draw(st.integers(s + 1, size)))]
        for s, e in pairs:
            a, b = locator.locate(passage, s, e)
            assert chunk.start <= a < b <= chunk.end
            wanted = passage.text[s:e].strip()
            if wanted:  # a span of only whitespace has no text of its own to find
                assert CLEANER.clean(document(text[a:b])).text.strip() == wanted
        # out-of-range spans fall back to the passage's own range, never raise
        assert locator.locate(passage, -1, size + 5) == (chunk.start, chunk.end)
        assert locator.locate(passage, 3, 3) == (chunk.start, chunk.end)
