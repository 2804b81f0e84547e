"""A DOCX paragraph's place in the document's structure, for index/readers/docx.py: a heading
written as Markdown writes it ("## Expenses"), a list item with its marker ("1. ", "- ") and
indented by its level, as the HTML reader (index/readers/html_text.py) writes a page's, so a
Word policy's numbered steps and their sub-items read as a Markdown page's do.

A paragraph is a list item when it, or its style ("List Number", "List Bullet 2"), carries a
numbering (``w:numPr``); its level is the numbering's ``w:ilvl``, else the digit a style's name
ends with. Whether the list is numbered or bulleted is read from the numbering part
(``w:abstractNum``'s ``w:numFmt`` at that level); a numbered item's number is counted per list
and level, a higher level's item restarting the lower levels' counts."""

from __future__ import annotations

import functools
import re
from typing import Any

_W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_HEADING_STYLE = re.compile(r"heading\s*([1-6])\b", re.I)
_LEVEL_IN_NAME = re.compile(r"\s([2-9])$")
INDENT = "   "  # a level's indentation: the text column of a "1. " marker


class Structure:
    """Markers for one document's paragraphs, in order (numbered lists counted as they go)."""

    def __init__(self, document: Any) -> None:
        self._formats = _numbering_formats(document)
        self._counts: dict[tuple[str, int], int] = {}

    def line(self, paragraph: Any, text: str) -> str:
        """``text`` as the paragraph's line: a heading's marks, a list item's marker."""
        style = paragraph.style
        name = ((style.name if style is not None else "") or "")
        if m := _HEADING_STYLE.match(name):
            return f"{'#' * int(m.group(1))} {text}"
        if name.lower() == "title":
            return f"# {text}"
        numbered = _numbering(paragraph)
        if numbered is None:
            return text
        num_id, level = numbered
        if level is None:
            found = _LEVEL_IN_NAME.search(name)
            level = int(found.group(1)) - 1 if found else 0
        for key in [k for k in self._counts if k[0] == num_id and k[1] > level]:
            del self._counts[key]  # a higher level's item: the lower levels count again
        if self._formats.get((num_id, level), "bullet") == "bullet":
            marker = "- "
        else:
            count = self._counts.get((num_id, level), 0) + 1
            self._counts[(num_id, level)] = count
            marker = f"{count}. "
        return f"{INDENT * level}{marker}{text}"


def _numbering(paragraph: Any) -> tuple[str, int | None] | None:
    """(numId, level or None) of the paragraph's numbering, its own or its style's."""
    for element in (paragraph._p, getattr(paragraph.style, "element", None)):
        ppr = getattr(element, "pPr", None)
        num_pr = getattr(ppr, "numPr", None) if ppr is not None else None
        if num_pr is None or num_pr.numId is None:
            continue
        num_id = str(num_pr.numId.val)
        if num_id == "0":  # numbering switched off
            return None
        level = num_pr.ilvl.val if num_pr.ilvl is not None else None
        return num_id, level
    return None


def _numbering_formats(document: Any) -> dict[tuple[str, int], str]:
    """(numId, level) -> the level's number format ("decimal", "bullet", ...); empty when the
    document has no numbering part."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract: dict[str, dict[int, str]] = {}
    for node in _x(root, "./w:abstractNum"):
        levels = {}
        for lvl in _x(node, "./w:lvl"):
            fmt = _x(lvl, "./w:numFmt/@w:val")
            levels[int(_x(lvl, "@w:ilvl")[0])] = fmt[0] if fmt else "decimal"
        abstract[_x(node, "@w:abstractNumId")[0]] = levels
    out = {}
    for node in _x(root, "./w:num"):
        ref = _x(node, "./w:abstractNumId/@w:val")
        for level, fmt in abstract.get(ref[0] if ref else "", {}).items():
            out[(_x(node, "@w:numId")[0], level)] = fmt
    return out


@functools.lru_cache(maxsize=16)
def _path(path: str) -> Any:
    from lxml import etree

    return etree.XPath(path, namespaces=_W)


def _x(node: Any, path: str) -> list[Any]:
    """``path`` (with the ``w:`` prefix) evaluated at ``node``, whatever its element class."""
    return _path(path)(node)
