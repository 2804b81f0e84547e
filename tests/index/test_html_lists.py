"""An HTML page's headings and lists keep their structure in its text form
(index/readers/html_text.py): headings as Markdown writes them; list markers ("1. " from an ``<ol>``'s ``start``, "- "), one line per item, an item's further
paragraphs under its text, a list inside an item indented to it; the cleaner keeps a list item's
indentation in authored formats only (index.cleaning rule 5)."""

from __future__ import annotations

import pytest

from index.cleaning import Cleaner
from index.formats import extract_html
from index.types import Document

STEPS = b"""<html><body><h2>Resetting your password</h2><p>To reset it:</p>
<ol><li>Open <b>Settings</b>.</li><li><p>Choose Security.</p><p>It is on the left.</p>
<ul><li>On a phone: tap Menu</li><li>On the web: click Security<ul><li>deep</li></ul></li></ul>
</li><li>Click Reset<li>Done</ol><p>After the list.</p><ol start="4"><li>four</li></ol>
</body></html>"""


def test_items_are_marked_numbered_nested_and_on_lines_of_their_own():
    assert extract_html(STEPS).text == (
        "## Resetting your password\n\nTo reset it:\n\n"  # a heading as Markdown writes it
        "1. Open Settings.\n"
        "2. Choose Security.\n"
        "   It is on the left.\n"
        "   - On a phone: tap Menu\n"
        "   - On the web: click Security\n"
        "     - deep\n"
        "3. Click Reset\n"  # an item left open by the next <li> is closed by it
        "4. Done\n\n"
        "After the list.\n\n"
        "4. four")


def test_an_unordered_list_and_a_list_outside_any_list_tag():
    text = extract_html(b"<ul><li>a</li><li>b</li></ul><li>stray</li><p>x</p>").text
    assert text == "- a\n- b\n\n- stray\n\nx"


def test_a_list_in_a_table_cell_stays_the_cell_text():
    page = (b"<table><tr><th>Plan</th><th>Includes</th></tr>"
            b"<tr><td>Pro</td><td><ul><li>SSO</li><li>audit log</li></ul></td></tr></table>")
    text = extract_html(page).text
    assert "- SSO" not in text and "SSO" in text and "audit log" in text


@pytest.mark.parametrize("start", [b"x", b"", b"99999999"])
def test_an_unreadable_start_counts_from_one(start):
    assert extract_html(b'<ol start="' + start + b'"><li>a</li></ol>').text == "1. a"


def _clean(text: str, fmt: str) -> str:
    document = Document("d", "t", text, "d", 0.0, "0" * 64, format=fmt)
    return Cleaner().clean(document).text


def test_the_cleaner_keeps_a_list_items_indentation_and_no_other():
    text = ("* Up to five days carry over.\n"
            "* More than five need approval:\n\n"
            "  * bought leave,\n"
            "\t- overtime days\n"
            "    A hanging indent reads as prose.\n")
    assert _clean(text, "markdown") == (
        "* Up to five days carry over.\n* More than five need approval:\n\n"
        "  * bought leave,\n    - overtime days\nA hanging indent reads as prose.")
    # in a laid-out format indentation is where the text stood on the page
    assert _clean(text, "pdf") == (
        "* Up to five days carry over.\n* More than five need approval:\n\n"
        "* bought leave,\n- overtime days\nA hanging indent reads as prose.")


def test_kept_indentation_maps_back_to_the_original_offsets():
    text = "Intro:\n\n   \t1. first step\n"
    document = Document("d", "t", text, "d", 0.0, "0" * 64, format="text")
    clean = Cleaner().clean(document)
    assert clean.text == "Intro:\n\n    1. first step"
    at = clean.text.index("first")
    start, end = clean.original_span(at, at + len("first step"))
    assert text[start:end] == "first step"
    start, _ = clean.original_span(clean.text.index("    1."), clean.text.index("    1.") + 4)
    assert start == text.index("   \t")
