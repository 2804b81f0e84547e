"""A document's date: when it says it was published or last updated.

Three sources, best first, and the answer says which one it came from:

- ``metadata``: what the file format records: an HTML page's ``article:modified_time`` /
  ``article:published_time`` / ``date`` meta tags or first ``<time datetime>``, a PDF's
  ``/ModDate`` or ``/CreationDate``, a DOCX's core properties (modified, else created), a
  Markdown or text file's front matter (``date:`` / ``updated:`` between ``---`` lines);
- ``text``: a date the text states where news states its own: a labelled line near the top
  ("Updated: March 3, 2024", "Published 2024-03-01") or a dateline in the first few hundred
  characters ("WASHINGTON, Feb. 7, 2024 —"). Only dates with a day, a month and a year count;
  "Wednesday" or "February 6-7" date nothing;
- ``file``: the file's modification time, when the document states nothing. It is shown, but
  it is not a statement of the document, so it never decides which version of a story is newer
  (rag.fusion: only stated dates do).

Dates are ISO 8601 strings: ``YYYY-MM-DD`` when only the day is known, ``YYYY-MM-DDTHH:MM:SSZ``
(UTC) when the source gives a time. Parsing is python-dateutil's; this module only finds where a
date is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from dateutil import parser as date_parser

STATED = ("metadata", "text")  # sources that are the document's own statement
HEAD_CHARS = 3000  # labelled dates are looked for this far into the text
DATELINE_CHARS = 400  # an unlabelled date counts only this close to the start
HEADER_LINE = 100  # a line this short that opens with a date is a header ("30 March 2020 Team")
EARLIEST_YEAR = 1900
MAX_METADATA_CHARS = 64  # longer metadata values are not dates

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
# A full date written out: "March 3, 2024", "Mar. 3 2024", "3 March 2024", "2024-03-03".
_FULL_DATE = re.compile(
    rf"\b(?:{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?)\b",
    re.IGNORECASE)
_LABEL = re.compile(r"(?im)^[ \t>*_#|-]*(?P<label>last updated|updated|published|posted|"
                    r"released|dated|date)\b(?:\s+on)?\s*[:\-–—]?\s*(?P<rest>[^\n]{0,80})")
# What may stand before a dateline's date: a place ("MEXICO CITY,", "Laredo, Texas,") or a
# byline that ends in a separator ("By Ana Ruiz |", "Updated ·").
_PLACE = re.compile(r"[A-Z][\w.'’-]*(?:\s+[A-Za-z][\w.'’-]*){0,3}"
                    r"(?:,\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}){0,2},?")
_BYLINE = re.compile(r"(?:^By\s.*|[|·•])$")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(?P<body>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
                           re.DOTALL)
_FRONT_TITLE = re.compile(r"(?im)^title[ \t]*:[ \t]*[\"']?(?P<value>[^\"'\n]+)")
_FRONT_KEY = re.compile(r"(?im)^(?P<key>updated|last_modified|lastmod|modified|date|published)"
                        r"[ \t]*:[ \t]*[\"']?(?P<value>[^\"'\n]+)")
_PDF_DATE = re.compile(r"^D?:?(?P<y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?(?P<H>\d{2})?(?P<M>\d{2})?"
                       r"(?P<S>\d{2})?(?P<z>Z|[+-]\d{2}'?\d{2}'?)?")
# Front-matter keys and labels, the newer statement first.
_KEY_ORDER = ("updated", "last_modified", "lastmod", "modified", "last updated", "date",
              "dated", "published", "posted", "released")


@dataclass(frozen=True)
class DocumentDate:
    """``value`` is an ISO 8601 date or UTC date-time; ``source`` one of metadata/text/file."""

    value: str
    source: str

    @property
    def stated(self) -> bool:
        """Whether the document itself states it (not the file's modification time)."""
        return self.source in STATED


def normalise(moment: datetime | date, has_time: bool = True) -> str:
    """``YYYY-MM-DD``, or ``YYYY-MM-DDTHH:MM:SSZ`` in UTC when a time of day is known."""
    if isinstance(moment, datetime):
        if not has_time:
            return moment.date().isoformat()
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc)
        if (moment.hour, moment.minute, moment.second) == (0, 0, 0) and moment.tzinfo is None:
            return moment.date().isoformat()
        return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    return moment.isoformat()


def parse_stated(text: str) -> str | None:
    """The first full date written in ``text`` (day, month and year), normalised; None if none
    or if it is not a real, plausible date."""
    match = _FULL_DATE.search(text)
    if match is None:
        return None
    written = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", match.group(0), flags=re.IGNORECASE)
    has_time = bool(re.search(r"\d{2}:\d{2}", written))
    try:
        moment = date_parser.parse(written)
    except (ValueError, OverflowError):
        return None
    return normalise(moment, has_time) if _plausible(moment) else None


def parse_metadata(value: object) -> str | None:
    """A date as a format's metadata writes it: a datetime, an ISO string, a PDF date
    (``D:20240305143000+01'00'``) or any form python-dateutil reads; None if unreadable."""
    if isinstance(value, (datetime, date)):
        return normalise(value) if _plausible(value) else None
    text = str(value or "").strip()
    if not text or len(text) > MAX_METADATA_CHARS:
        return None  # a date is short; a megabyte of <meta content> is not read
    pdf = _PDF_DATE.match(text) if text.startswith("D:") or text[:8].isdigit() else None
    if pdf is not None and pdf.group("m") and pdf.group("d"):
        zone = (pdf.group("z") or "").replace("'", "")
        iso = (f"{pdf['y']}-{pdf['m']}-{pdf['d']}T{pdf['H'] or '00'}:{pdf['M'] or '00'}:"
               f"{pdf['S'] or '00'}{zone}")
        text = iso if pdf.group("H") else iso[:10]
    try:
        moment = date_parser.parse(text)
    except (ValueError, OverflowError):
        return None
    if not _plausible(moment):
        return None
    return normalise(moment, has_time=bool(re.search(r"\d{2}:\d{2}", text)))


def front_matter(text: str) -> tuple[str, int]:
    """A Markdown/text file's front matter (the lines between a first ``---`` line and the
    next ``---`` or ``...``) and where the text after it starts; ("", 0) without one."""
    block = _FRONT_MATTER.match(text)
    return ("", 0) if block is None else (block.group("body"), block.end())


def front_matter_title(text: str) -> str:
    """The ``title:`` a file's front matter gives, empty if none."""
    found = _FRONT_TITLE.search(front_matter(text)[0])
    return found.group("value").strip() if found else ""


def front_matter_date(text: str) -> str | None:
    """The date a Markdown/text file's front matter gives (``updated:`` before ``date:``)."""
    body, _ = front_matter(text)
    found = {m.group("key").lower(): m.group("value").strip()
             for m in _FRONT_KEY.finditer(body)}
    for key in _KEY_ORDER:
        if key in found and (value := parse_metadata(found[key])) is not None:
            return value
    return None


def text_date(text: str) -> str | None:
    """The date the text states of itself: a labelled line near the top (an update before a
    publication), else a full date in its first DATELINE_CHARS characters."""
    head = text[:HEAD_CHARS]
    labelled: dict[str, str] = {}
    for match in _LABEL.finditer(head):
        label = match.group("label").lower()
        if label not in labelled and (value := parse_stated(match.group("rest"))) is not None:
            labelled[label] = value
    for label in _KEY_ORDER:
        if label in labelled:
            return labelled[label]
    return dateline(text[:DATELINE_CHARS])


def dateline(head: str) -> str | None:
    """The date of a dateline in ``head``: a short line that opens with the date ("30 March
    2020 Imperial College ..."), or a line with a place and then the date ("WASHINGTON, Feb. 7,
    2024 —", "LAREDO, Texas, March 3, 2024 (Reuters)") or a byline and then the date ("By Ana
    Ruiz | March 3, 2024") that goes on with a dash, a parenthesis, a bar or nothing. A date inside a sentence ("was founded on May 21, 2014")
    dates an event, not the document, and is not read."""
    for line in head.splitlines():
        match = _FULL_DATE.search(line)
        if match is None:
            continue
        before, after = line[:match.start()].strip(), line[match.end():].strip()
        opens = not before and len(line) <= HEADER_LINE  # a header line: "30 March 2020 ..."
        placed = (_PLACE.fullmatch(before) or _BYLINE.search(before)) and \
            (not after or after[0] in "—–-(|/·•")
        if opens or placed:
            return parse_stated(match.group(0))
    return None


def document_date(metadata: str | None, text: str, mtime: float) -> DocumentDate:
    """The document's date from the first source that has one (see the module docstring)."""
    if metadata:
        return DocumentDate(metadata, "metadata")
    stated = front_matter_date(text)
    if stated is not None:
        return DocumentDate(stated, "metadata")
    stated = text_date(text)
    if stated is not None:
        return DocumentDate(stated, "text")
    moment = datetime.fromtimestamp(mtime, tz=timezone.utc)
    return DocumentDate(normalise(moment), "file")


def _plausible(moment: datetime | date) -> bool:
    return EARLIEST_YEAR <= moment.year <= date.today().year + 1
