"""A PDF's /Title names its document unless its producer wrote it ("Microsoft Word - null.doc",
"Untitled", a file name): then the title comes from the text, as for a file without one."""

from __future__ import annotations

import pytest

from index.loaders import load_document
from index.readers.pdf import metadata_title
from tests.files import pdf_bytes


@pytest.mark.parametrize("raw", ["Microsoft Word - null.doc", "Microsoft PowerPoint - deck",
                                 "Untitled", "untitled document", "Document1", "protocol_v2.docx",
                                 "Slide 1", "scan0001.pdf"])
def test_a_producers_placeholder_is_no_title(raw):
    assert metadata_title(raw) == ""


@pytest.mark.parametrize("raw", ["Annual Performance Report FY 2019", "Word usage in 2020",
                                 "Documentation of the dam"])
def test_an_authors_title_stays(raw):
    assert metadata_title(f"  {raw} ") == raw


def test_a_pdf_titled_by_its_producer_takes_its_texts_title(tmp_path):
    path = tmp_path / "inspection.pdf"
    path.write_bytes(pdf_bytes(title="Microsoft Word - null.doc"))
    doc = load_document(path, tmp_path)
    assert doc.title.startswith("The river authority inspected the northern dam")
    path.write_bytes(pdf_bytes(title="Dam Inspection Report"))
    assert load_document(path, tmp_path).title == "Dam Inspection Report"
