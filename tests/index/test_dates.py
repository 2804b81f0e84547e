"""A document's date (index.dates) from each source, through the real loaders and formats."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from index.dates import document_date, front_matter_date, parse_metadata, text_date
from index.loaders import load_document
from tests.files import pdf_bytes

MTIME = datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone.utc).timestamp()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)),
       st.sampled_from(["%B %d, %Y", "%b %d %Y", "%d %B %Y", "%Y-%m-%d", "%B %dth, %Y"]))
@example(date(2024, 2, 7), "%b. %d, %Y")
def test_a_dateline_in_any_usual_form_reads_as_its_day(day: date, form: str):
    written = day.strftime(form)
    assert text_date(f"MEXICO CITY, {written} — Officials met for talks.") == day.isoformat()


@pytest.mark.parametrize("text", [
    "On February 6-7, officials met.",  # no year
    "The talks were held on Wednesday in Mexico City.",
    "The treaty of 1848 ended the war.",  # a year alone dates nothing
    "June 31, 2024 was the day.",  # no such day
    "x" * 500 + " March 3, 2024",  # too far from the start and not labelled
    "Meeting on 02/03/2024",  # numeric day/month order is ambiguous: not read
    # an event's date inside a sentence (Wikipedia's way: 1,197 of hotpotqa's 4,858 paragraphs
    # were misdated by "the first full date near the top" before datelines were required)
    "The Standarte was activated on November 12, 1940, and reached battalion strength.",
    "14ymedio\n\nIt was founded on May 21, 2014, by the Cuban blogger Yoani Sanchez.",
    '<ref name="The Independent - 5 September 1992 - BOOK REVIEW"> </ref>',
])
def test_text_that_states_no_full_date_has_none(text: str):
    assert text_date(text) is None


@pytest.mark.parametrize("text, expected", [
    ("LAREDO, Texas, March 3, 2024 (Reuters) - Rail crossings reopened.", "2024-03-03"),
    ("Border notes\nBy Ana Ruiz | March 3, 2024\nRail crossings reopened.", "2024-03-03"),
    ("Estimating infections\n\n30 March 2020 Imperial College COVID-19 Response Team\n",
     "2020-03-30"),
    ("Title: Virus genome\nAuthors: Yang, Jing-tian\nDate: 2013-10-10\nDOI: 10.1128/x",
     "2013-10-10"),
])
def test_datelines_headers_and_labels_date_the_document(text: str, expected: str):
    assert text_date(text) == expected


def test_a_labelled_update_outranks_the_publication_date_and_the_dateline():
    text = ("WASHINGTON, Jan. 2, 2024 — Story.\n" + "Body text. " * 50 +
            "\nPublished: January 3, 2024\nUpdated: 5 January 2024 14:00\n")
    assert text_date(text) == "2024-01-05"
    assert text_date("Posted on March 9, 2023\nText") == "2023-03-09"


def test_front_matter_prefers_updated_to_date():
    assert front_matter_date("---\ntitle: T\ndate: 2024-01-02\nupdated: 2024-02-03\n---\nx") == \
        "2024-02-03"
    assert front_matter_date("---\ndate: '2024-01-02'\n---\nx") == "2024-01-02"
    assert front_matter_date("no front matter\ndate: 2024-01-02") is None


@pytest.mark.parametrize("raw, expected", [
    ("D:20240305143000+01'00'", "2024-03-05T13:30:00Z"),
    ("D:20240305", "2024-03-05"),
    ("2024-03-05T14:30:00Z", "2024-03-05T14:30:00Z"),
    ("2024-03-05", "2024-03-05"),
    (datetime(2024, 3, 5, 14, 30, tzinfo=timezone.utc), "2024-03-05T14:30:00Z"),
    ("not a date", None), ("", None), (None, None), ("D:18000101", None),
    ("2024-03-05" + "x" * 100_000, None), ("9" * 1_000_000, None),  # hostile sizes: not read
])
def test_format_metadata_dates(raw, expected):
    assert parse_metadata(raw) == expected


def test_without_a_stated_date_the_file_time_is_used_and_marked_as_such():
    dated = document_date(None, "Nothing dated here.", MTIME)
    assert (dated.value, dated.source, dated.stated) == ("2026-05-04T03:02:01Z", "file", False)
    assert document_date("2024-01-01", "WASHINGTON, Feb. 7, 2024", MTIME).source == "metadata"
    assert document_date(None, "WASHINGTON, Feb. 7, 2024 — x", MTIME).stated


def _load(path: Path, data: bytes | str):
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    return load_document(path, path.parent)


def test_each_format_dates_its_documents(tmp_path: Path):
    from docx import Document as Docx
    from pypdf import PdfReader, PdfWriter

    html = _load(tmp_path / "a.html", (
        '<html><head><meta property="article:published_time" content="2024-02-07T10:00:00Z">'
        '<meta property="article:modified_time" content="2024-02-08T09:30:00-05:00">'
        "<title>Talks</title></head><body><p>Officials met.</p></body></html>"))
    assert (html.date, html.date_source) == ("2024-02-08T14:30:00Z", "metadata")
    timed = _load(tmp_path / "b.html", "<html><body><p>Posted <time datetime='2023-11-02'>"
                  "2 Nov</time></p><p>Officials met.</p></body></html>")
    assert (timed.date, timed.date_source) == ("2023-11-02", "metadata")

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_metadata({"/ModDate": "D:20230415120000Z", "/CreationDate": "D:20230101"})
    out = io.BytesIO()
    writer.write(out)
    pdf = _load(tmp_path / "c.pdf", out.getvalue())
    assert (pdf.date, pdf.date_source) == ("2023-04-15T12:00:00Z", "metadata")

    docx = Docx()
    docx.add_paragraph("The harbour master reported two new moorings.")
    docx.core_properties.created = datetime(2022, 6, 1, 8, 0)
    docx.core_properties.modified = datetime(2022, 6, 3, 8, 0)
    buf = io.BytesIO()
    docx.save(buf)
    word = _load(tmp_path / "d.docx", buf.getvalue())
    assert (word.date, word.date_source) == ("2022-06-03T08:00:00Z", "metadata")

    md = _load(tmp_path / "e.md", "---\ndate: 2021-09-09\n---\n# Notes\nThe ferry leaves at noon.")
    assert (md.date, md.date_source, md.title) == ("2021-09-09", "metadata", "Notes")
    titled = _load(tmp_path / "h.md", "---\ntitle: 'Ferry notes'\nupdated: 2021-10-01\n---\nText.")
    assert (titled.date, titled.title) == ("2021-10-01", "Ferry notes")  # not "---"
    text = _load(tmp_path / "f.txt", "LAREDO, Texas, March 3, 2024 — Rail crossings reopened.")
    assert (text.date, text.date_source) == ("2024-03-03", "text")
    plain = _load(tmp_path / "g.txt", "Rail crossings reopened on Wednesday.")
    assert (plain.date, plain.date_source) == ("2026-05-04T03:02:01Z", "file")
