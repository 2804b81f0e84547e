"""A real multi-page PDF (reportlab) and a served app over it, shared by the page tests
(test_pdf_pages.py: the API; test_pdf_viewer_browser.py: the widget and the viewer)."""

from __future__ import annotations

from pathlib import Path

from tests.files import pdf_bytes

FILLER = ("The report records routine observations of the reservoir, the access roads and the "
          "monitoring wells, and notes that nothing unusual was seen during the visit. ")
# Page 3 holds the answer; the other pages talk of other things.
PAGES = [
    "Northern Valley Water Board annual report. " + FILLER * 6
    + "The board met eleven times during the year and welcomed two new members.",
    "Budget and staffing. " + FILLER * 6
    + "The operating budget rose to 18 million euros because electricity prices went up.",
    "Spillway works. " + FILLER * 3
    + "The spillway gates of the Kellbrook dam were replaced by Hallstrom Engineering in "
      "October, after inspectors found corrosion on the old steel gates. " + FILLER * 3,
    "Outlook. " + FILLER * 6 + "Next year the board plans to reline the eastern canal.",
]
QUESTION = "Who replaced the spillway gates of the Kellbrook dam?"
ANSWER_PAGE = 3
PDF_ID = "reports/water-board.pdf"
TEXT_ID = "notes/parking.txt"
TEXT = ("Parking rules\n\nStaff may park in lot C after 6 pm. Visitors park in lot A, next to "
        "the main entrance of the water board offices.\n")
OTHER_DOC = "hidden::vault.txt"


def write_corpus(folder: Path) -> bytes:
    """The corpus: the PDF and a text file; returns the PDF's bytes."""
    data = pdf_bytes(PAGES, title="Water Board Annual Report")
    (folder / "reports").mkdir(parents=True)
    (folder / "notes").mkdir()
    (folder / PDF_ID).write_bytes(data)
    (folder / TEXT_ID).write_text(TEXT, encoding="utf-8")
    return data
