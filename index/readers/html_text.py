"""An HTML page's visible text (:class:`HtmlText`), for HTML files, HTML mail bodies
(index/readers/mail.py) and EPUB chapters (index/readers/office.py).

Headings are written as a Markdown page writes them ("## Resetting your password") and a
``<pre>`` block between fences, so a page's sections and code are read as a Markdown page's are
(rag.shapes.text.sections, blocks). Lists keep their
structure, as a Markdown file's do: each ``<li>`` starts a line with its
marker ("1. ", "2. ", ... in an ``<ol>``, from its ``start``; "- " in a ``<ul>``), a list's items
are joined by a line break rather than a blank line, an item's further paragraphs are indented
under its text, and a list inside an item is indented to its parent's text. Without this a
help page's numbered steps read as unnumbered paragraphs, and a nested list as one list.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from index.dates import parse_metadata
from index.readers.common import SECTION_BREAK, TextBuilder
from index.readers.html_tables import CELL_BREAKS, Grid

_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "footer", "head", "iframe"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "aside", "blockquote", "li", "ul",
          "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figure",
          "figcaption", "dl", "dt", "dd", "form", "hr", "address", "details", "summary", "body"}
# <meta> names and properties that date a page, the newer statement first; then <time datetime>.
_DATE_META = ("article:modified_time", "og:updated_time", "last-modified", "dcterms.modified",
              "datemodified", "article:published_time", "datepublished", "date", "dc.date",
              "dcterms.date", "dcterms.created", "pubdate", "publishdate")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_TABLE_TAGS = {"table", "tr", "td", "th", "caption"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source",
         "track", "wbr"}


class HtmlText(HTMLParser):
    """Visible text of an HTML page: one block per block element, inline whitespace squeezed,
    blocks joined by a blank line; a list's items marked and on lines of their own (below);
    tables written by index.tables (index.readers.html_tables)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = TextBuilder("HTML")
        self.current: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.title = ""
        self.h1 = ""
        self._in: str | None = None  # "title" or "h1" while inside one
        self.dates: dict[str, str] = {}  # _DATE_META name (or "time") -> its value, first kept
        self.grids: list[Grid] = []  # the tables we are inside, innermost last
        self.heading = ""  # the last heading's text: a table's caption when it has none
        self.lists: list[list] = []  # the lists we are inside, innermost last: [tag, number]
        self.items: list[str] = []  # per open <li>, the indentation of its text
        self.marker: str | None = None  # the open <li>'s marker, until its first block
        self.listed = False  # whether the last block written was a list's

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "time"):
            self._note_date(tag, dict(attrs))
        if tag == "title":
            self._in = "title"
        elif tag in _SKIP and tag not in _VOID:
            self.skip_depth += 1
        elif self.skip_depth:
            return
        elif tag in _TABLE_TAGS or (self._grid() and tag in CELL_BREAKS):
            self._table_start(tag, dict(attrs))
        elif tag == "br":
            self.current.append("\n")
        elif tag in _BLOCK:
            self._flush()
            if tag == "pre":
                self.pre_depth += 1
            elif tag in ("ul", "ol"):
                self.lists.append([tag, _start(attrs)])
            elif tag == "li":
                self._item_start()
            if tag == "h1" and not self.h1:
                self._in = "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" or (tag == "h1" and self._in == "h1"):
            self._in = None
        if tag == "title":
            return
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _TABLE_TAGS:
            self._table_end(tag)
        elif tag in _BLOCK:
            block = self._flush(tag if tag in _HEADINGS else "", fenced=tag == "pre")
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
                del self.items[len(self.lists):]
                self.listed = self.listed and bool(self.lists)  # a list ended: a new paragraph
            elif tag == "li" and self.items:
                self.items.pop()
                self.marker = None
            if tag in _HEADINGS and block:
                self.heading = block

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
            return
        if self.skip_depth:
            return
        if self._in == "h1":
            self.h1 += data
        if grid := self._grid():
            grid.data(data)
            return
        self.current.append(data if self.pre_depth else re.sub(r"\s+", " ", data))

    def _grid(self) -> Grid | None:
        """The table collecting text now, if any (a layout table collects nothing)."""
        return self.grids[-1] if self.grids and self.grids[-1].collecting else None

    def _table_start(self, tag: str, attrs: dict[str, str | None]) -> None:
        grid = self._grid()
        if tag == "table":
            self._flush()
            if grid:  # a table in a table: the outer one is for layout
                self.out.add(grid.release(), SECTION_BREAK)
            self.grids.append(Grid())
        elif grid is None:
            if self.grids:  # inside a layout table, a cell or row is a block
                self._flush()
        elif tag == "tr":
            grid.start_row()
        elif tag in ("td", "th"):
            grid.start_cell(attrs.get("colspan"))
            if grid.full():
                self.out.add(grid.release(), SECTION_BREAK)
        elif tag == "caption":
            grid.in_caption = True
        else:
            grid.space()

    def _table_end(self, tag: str) -> None:
        grid = self._grid()
        if tag == "table" and self.grids:
            self.grids.pop()
            if grid:
                grid.end_row()
                self.out.add_grid(grid.caption_text(), grid.rows, SECTION_BREAK, self.heading)
            else:
                self._flush()
        elif grid is None:
            self._flush()
        elif tag in ("td", "th"):
            grid.end_cell()
        elif tag == "tr":
            grid.end_row()
        elif tag == "caption":
            grid.in_caption = False

    def _item_start(self) -> None:
        """An ``<li>``: the marker its first block will open with, and its text's indentation
        (an item left open by the one before it, as HTML allows, is closed first)."""
        del self.items[max(len(self.lists), 1) - 1:]
        indent = self.items[-1] if self.items else ""
        if self.lists and self.lists[-1][0] == "ol":
            marker = f"{self.lists[-1][1]}. "
            self.lists[-1][1] += 1
        else:
            marker = "- "
        self.marker = indent + marker
        self.items.append(" " * len(self.marker))

    def _flush(self, heading: str = "", fenced: bool = False) -> str:
        """Write the block read so far; return its text (without a heading's marks). ``fenced``:
        a ``<pre>`` block, written between fences as Markdown writes code."""
        raw = "".join(self.current)
        self.current = []
        lines = raw.split("\n") if self.pre_depth else [ln.strip() for ln in raw.split("\n")]
        block = "\n".join(lines).strip("\n")
        if not block.strip():
            return ""
        if fenced:
            block = f"```\n{block}\n```"
        if self.items:  # a list item's text: its marker, or its indentation for what follows
            indent = self.items[-1]
            first = self.marker if self.marker is not None else indent
            block = first + block.replace("\n", "\n" + indent)
            self.marker = None
            self.out.add(block, "\n" if self.listed else SECTION_BREAK)
            self.listed = True
            return block
        self.listed = False
        if heading:  # "## Resetting your password": a section, as a Markdown page marks it
            self.out.add(f"{'#' * int(heading[1])} {' '.join(block.split())}", SECTION_BREAK)
            return block
        self.out.add(block, SECTION_BREAK)
        return block

    def text(self) -> str:
        self._flush()
        while self.grids:  # tables left open at the end of the page
            self._table_end("table")
        return self.out.text()

    def _note_date(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "time":
            name, value = "time", attrs.get("datetime")
        else:
            name = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
                    or attrs.get("http-equiv") or "").strip().lower()
            value = attrs.get("content")
        if value and (name == "time" or name in _DATE_META) and name not in self.dates:
            self.dates[name] = value

    def date(self) -> str:
        """The page's date from its meta tags (the newest statement first), else its first
        ``<time datetime>``; empty if none reads as a date."""
        for name in (*_DATE_META, "time"):
            if name in self.dates and (value := parse_metadata(self.dates[name])) is not None:
                return value
        return ""




def _start(attrs: list[tuple[str, str | None]]) -> int:
    """The number an ``<ol>``'s first item has (its ``start``, else 1)."""
    value = dict(attrs).get("start") or ""
    return int(value) if re.fullmatch(r"-?\d{1,6}", value.strip()) else 1
