"""rag.pages: a span's PDF page from its passage's pages and the document's page breaks; and
``rag ask``'s "p. 12" / "pp. 12-13"."""

from __future__ import annotations

from cli.ask_command import pages_label
from rag.pages import page_of
from rag.types import Citation, Passage

PAGES = ["First page text.", "Second page, line one.\nLine two.", "Third page."]
DOC = "\n\n".join(PAGES)  # as index/formats.py joins a PDF's pages


def _passage(start: int, end: int, first: int, last: int) -> Passage:
    return Passage(chunk_id="d#h#0", doc_id="d", title="", text=DOC[start:end], start=start,
                   end=end, score=1.0, page_start=first, page_end=last)


def test_an_offset_is_on_the_page_its_breaks_say():
    p = _passage(0, len(DOC), 1, 3)
    assert page_of(p, DOC.index("First"), DOC) == 1
    assert page_of(p, DOC.index("Line two"), DOC) == 2
    assert page_of(p, DOC.index("Third"), DOC) == 3


def test_a_one_page_passage_needs_no_text_and_no_pages_is_zero():
    assert page_of(_passage(0, 10, 2, 2), 5, None) == 2
    assert page_of(_passage(0, 10, 0, 0), 5, DOC) == 0


def test_a_page_is_unknown_when_the_breaks_do_not_add_up():
    text = "A page with\n\na blank line.\n\nNext page."
    p = Passage(chunk_id="d#h#0", doc_id="d", title="", text=text, start=0, end=len(text),
                score=1.0, page_start=4, page_end=5)
    assert page_of(p, text.index("Next"), text) == 0  # two breaks for one page boundary
    assert page_of(p, 3, None) == 0


def test_rag_ask_names_the_pages():
    def cite(first: int, last: int) -> Citation:
        return Citation(n=1, doc_id="d", title="t", text="", start=0, end=1, score=1.0,
                        chunk_id="c", page_start=first, page_end=last)

    assert pages_label(cite(12, 12)) == " p. 12"
    assert pages_label(cite(12, 13)) == " pp. 12-13"
    assert pages_label(cite(0, 0)) == ""
