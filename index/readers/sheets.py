"""Spreadsheets: XLSX (openpyxl), ODS (its content.xml streamed with lxml) and CSV (stdlib csv).

Each sheet is one table through index.tables: its name the caption, its first non-empty row the
header, every other non-empty row a line that names its columns ("Roof | Cost: $40,000").
Sheets are joined by a blank line. Cells show what the sheet shows: a formula's value as last
computed by the spreadsheet program (openpyxl ``data_only``; a file written by a program that
computes nothing has no value to show), dates as ISO 8601, whole numbers without ".0".

Sheets are read row by row and never whole: openpyxl's read-only mode and lxml's ``iterparse``
stream the XML (each row is dropped once read), and a file is refused, with the sheet that
reached the limit named, past ``MAX_ROWS`` rows with data, ``MAX_CELLS`` cells with data or
``MAX_SCANNED_ROWS`` rows walked (empty ones too: a stray cell at row 50,000,000 is not walked
to). ODS's repeat counts (``number-rows-repeated``, ``number-columns-repeated``) are honoured
without being expanded: empty repeats cost nothing, a value repeats ``MAX_REPEAT`` times at most.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time

from index.dates import parse_metadata
from index.errors import UnreadableFile
from index.formats import SECTION_BREAK, Extracted, decode_text
from index.readers.common import TextBuilder, trim
from index.tables import CELL_SEPARATOR
from index.zip_safety import check_package

MAX_ROWS = 100_000  # rows with data in one file
MAX_CELLS = 1_000_000  # cells with data in one file
MAX_SCANNED_ROWS = 1_048_576  # rows walked in one file (Excel's own maximum per sheet)
MAX_REPEAT = 1_024  # an ODS value repeated over more rows or columns is written this often
MAX_COLUMNS = 16_384  # Excel's and LibreOffice's widest sheet
_CSV_SAMPLE = 64 * 1024


class _Budget:
    """What a file may still cost; refuses with the sheet and the limit named."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.rows = self.cells = self.scanned = 0

    def scan(self, sheet: str, rows: int = 1) -> None:
        self.scanned += rows
        if self.scanned > MAX_SCANNED_ROWS:
            self._refuse(sheet, f"{MAX_SCANNED_ROWS:,} rows (empty ones included)")

    def take(self, sheet: str, cells: list[str]) -> None:
        self.rows += 1
        self.cells += sum(1 for c in cells if c)
        if self.rows > MAX_ROWS:
            self._refuse(sheet, f"{MAX_ROWS:,} rows with data")
        if self.cells > MAX_CELLS:
            self._refuse(sheet, f"{MAX_CELLS:,} cells with data")

    def _refuse(self, sheet: str, limit: str) -> None:
        where = f" (reached in sheet {sheet!r})" if sheet else ""
        raise UnreadableFile(f"{self.label} refused: over the limit of {limit}{where}; split the "
                             "file or keep only the rows to index")


def _write_sheet(out: TextBuilder, name: str, rows: Iterable[list[str]]) -> None:
    """One sheet as a table: the first row the header, the others its body."""
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return
    body = list(rows)
    if not out.add_table(name, header, body, SECTION_BREAK):  # a header alone, or no body cell
        out.add("\n".join(p for p in (name, CELL_SEPARATOR.join(c for c in header if c)) if p),
                SECTION_BREAK)


def _kept(rows: Iterable[Iterable[object]], sheet: str, budget: _Budget) -> Iterator[list[str]]:
    """Rows with data, cells as the sheet shows them, counted against ``budget``."""
    for row in rows:
        budget.scan(sheet)
        cells = trim([_shown(v) for v in row])
        if cells:
            budget.take(sheet, cells)
            yield cells


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


# ---- XLSX -----------------------------------------------------------------------------------

def extract_xlsx(data: bytes) -> Extracted:
    from openpyxl import load_workbook

    check_package(data, "XLSX")
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        out, budget = TextBuilder("XLSX"), _Budget("XLSX")
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a declared A1:XFD1048576 must not pad every row
            _write_sheet(out, sheet.title, _kept(sheet.iter_rows(values_only=True),
                                                 sheet.title, budget))
        props = book.properties
    finally:
        book.close()
    if not out.size:
        raise UnreadableFile("XLSX has no cell with data")
    stated = parse_metadata(props.modified) or parse_metadata(props.created)
    return Extracted("xlsx", out.text(), (props.title or "").strip(), date=stated or "",
                     tables=tuple(out.tables))


# ---- ODS ------------------------------------------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")
_DC = "{http://purl.org/dc/elements/1.1/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


def extract_ods(data: bytes) -> Extracted:
    check_package(data, "ODS")
    out, budget = TextBuilder("ODS"), _Budget("ODS")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        with zf.open("content.xml") as fh:
            for name, rows in _ods_sheets(fh, budget):
                _write_sheet(out, name, rows)
        title, stated = _ods_meta(zf)
    if not out.size:
        raise UnreadableFile("ODS has no cell with data")
    return Extracted("ods", out.text(), title, date=stated, tables=tuple(out.tables))


def _xml_events(fh, events: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from lxml import etree

    return etree.iterparse(fh, events=events, resolve_entities=False, no_network=True,
                           load_dtd=False, huge_tree=False)


def _ods_sheets(fh, budget: _Budget) -> Iterator[tuple[str, list[list[str]]]]:  # type: ignore[no-untyped-def]
    """(sheet name, rows with data) per ``table:table``, streamed: each row is cleared once
    read."""
    rows: list[list[str]] = []
    name = ""
    for event, elem in _xml_events(fh, ("start", "end")):
        if elem.tag == _TABLE + "table":
            if event == "start":
                name, rows = elem.get(_TABLE + "name", ""), []
            else:
                yield name, rows
                elem.clear()
        elif event == "end" and elem.tag == _TABLE + "table-row":
            cells = trim(_ods_cells(elem))
            repeat = _count(elem.get(_TABLE + "number-rows-repeated"))
            budget.scan(name, repeat)
            for _ in range(min(repeat, MAX_REPEAT) if cells else 0):
                budget.take(name, cells)
                rows.append(cells)
            elem.clear()
            while elem.getprevious() is not None:  # drop the rows already read
                del elem.getparent()[0]


def _ods_cells(row) -> list[str]:  # type: ignore[no-untyped-def]
    cells: list[str] = []
    empty = 0  # empty cells not yet written: only written if a value follows
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        repeat = _count(cell.get(_TABLE + "number-columns-repeated"))
        text = " ".join("".join(p.itertext()) for p in cell.iterfind(_TEXT_P))
        if not text.strip():
            empty += repeat
            continue
        if len(cells) + empty >= MAX_COLUMNS:
            break
        cells.extend([""] * empty)
        cells.extend([text] * min(repeat, MAX_REPEAT))
        empty = 0
    return cells


def _count(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _ods_meta(zf: zipfile.ZipFile) -> tuple[str, str]:
    if "meta.xml" not in zf.namelist():
        return "", ""
    found: dict[str, str] = {}
    with zf.open("meta.xml") as fh:
        for _, elem in _xml_events(fh, ("end",)):
            if elem.tag in (_DC + "title", _DC + "date", _META + "creation-date"):
                found.setdefault(elem.tag, (elem.text or "").strip())
    stated = (parse_metadata(found.get(_DC + "date"))
              or parse_metadata(found.get(_META + "creation-date")))
    return " ".join(found.get(_DC + "title", "").split()), stated or ""


# ---- CSV ------------------------------------------------------------------------------------

def extract_csv(data: bytes) -> Extracted:
    try:
        text = decode_text(data)
    except UnreadableFile as exc:
        raise UnreadableFile(f"CSV: {exc}; save it as \"CSV UTF-8\"") from None
    sample = text[:_CSV_SAMPLE]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            sample.rsplit("\n", 1)[0] if len(text) > _CSV_SAMPLE else sample, ",;\t|")
    except csv.Error:  # one column, or no consistent delimiter: commas
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    out, budget = TextBuilder("CSV"), _Budget("CSV")
    try:
        _write_sheet(out, "", _kept(reader, "", budget))
    except csv.Error as exc:
        raise UnreadableFile(f"corrupt CSV (line {reader.line_num}: {exc})") from None
    if not out.size:
        raise UnreadableFile("CSV has no cell with data")
    return Extracted("csv", out.text(), tables=tuple(out.tables))
