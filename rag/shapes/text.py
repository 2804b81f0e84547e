"""What the shapes read in a passage: its lines, its sections (Markdown headings), the list
blocks inside a section (numbered or bulleted lines, command lines of a code block), and the
question's key terms, Snowball-stemmed (rag.sentences.stem), to tell which section or sentence
speaks of them.

All offsets index the passage text (``text[start:end]``)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag.sentences import content_words, stem
from rag.types import Passage

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_NUMBERED = re.compile(r"^\s*(?:step\s*)?\(?(\d{1,2})\s*[.):]\s+(?=\S)", re.I)
# Bullets as Markdown writes them and as PDF text extraction renders a word processor's list
# glyphs ("▪", "◦", "", and a second level's "o" before a capitalised item).
_BULLET = re.compile(r"^\s*(?:[-*•+–▪◦●○■□➢►✓\uf0a7\uf0b7\uf0d8]|o(?=\s+[A-Z]))\s+(?=\S)")
_TITLE_WORD = re.compile(r"\w+")
_DIRECTIVE_OPENING = re.compile(r"^(?:```|~~~)\s*\{[^}\n]*\}[^\n]*?\s+")
PROSE_LETTERS = 0.45  # the share of letters below which a sentence is code (see prose)
# A fence, also one opening a list item's code ("- ```" then the item's command lines): read
# as no fence, its closing "  ```" would open a code block that takes the prose after it.
_FENCE = re.compile(r"^\s*(?:(?:[-*+]|\d{1,3}[.)])\s+)?(?:```|~~~)")
# A MyST/Sphinx directive ("```{note}", "```{versionadded} 6.0"): prose, not commands.
_DIRECTIVE = re.compile(r"^\s*(?:```|~~~)\s*\{")
_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
# A reference item: a list item that opens with its own bold label ("**Named keys.** ...").
_LABEL = re.compile(r"^\*\*[^*]{1,60}\*\*")
# A short unindented line ending in a colon ("Exclusion Criteria:") after a list's items opens
# the next list: it continues no item. One in lower case goes on with the item's sentence
# ("... cannot be carried over" / "at all:").
_LABEL_LINE = re.compile(r"^(?![a-z])\S(?:[^:\n]{0,60}):\s*(?:\(\d{1,3}\))?\s*$")  # ":(15)": a note
_WRAP = re.compile(r"(?<=\S)\n(?=[ \t]*[^\s#*\-•+\d|])")
# Words of a question that say what shape it wants, not what it is about.
_GENERIC = frozenset(
    "step steps process procedure way ways need needs want get go make use using able possible "
    "please explain tell show walk through instructions instruction guide list name give "
    "difference differences between compare comparison versus vs mean means meaning why "
    "describe happen happens change changed changes trend trends year years quarter quarters "
    "last past over each fiscal fy reported report reports time versus differ different "
    "allowed allow permitted required ok okay anyone everyone someone one there here my me mine "
    "myself yourself ourselves do does did done kind kinds sort sorts types still anymore "
    "currently".split())


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Section:
    """A heading and what follows it up to the next heading (``heading`` empty before the
    first one)."""

    start: int
    end: int
    heading: str


@dataclass
class Block:
    """Consecutive list items of one kind (``numbered``, ``bulleted``, ``code``), each item's
    text without its marker as (start, end), with the line that introduces them. A list
    indented under an item (a step's sub-steps: HTML's nested lists, Markdown's indented ones)
    is part of that item's text, and its items are also kept apart, by the item's index, in
    ``nested``."""

    kind: str
    intro: tuple[int, int] | None
    items: list[tuple[int, int]] = field(default_factory=list)
    depth: int = 0  # the indentation of the block's own items
    nested: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    in_nested: bool = False  # whether the last item written was a nested one

    def add(self, start: int, end: int, depth: int) -> None:
        if not self.items:
            self.depth = depth
        self.items.append((start, end))
        self.in_nested = False

    def nest(self, start: int, end: int) -> None:
        """An item of a list under the last item: part of its text, and one of its nested."""
        last = len(self.items) - 1
        self.nested.setdefault(last, []).append((start, end))
        self.items[last] = (self.items[last][0], end)
        self.in_nested = True

    def extend(self, end: int, blank: bool, depth: int) -> None:
        """A line going on with the last item's text, and with its last nested item's when one
        was written last (the cleaner leaves wrapped lines flush; after a blank line only a
        line indented past the item's text goes on with it)."""
        last = len(self.items) - 1
        self.items[last] = (self.items[last][0], end)
        if self.in_nested and (not blank or depth > self.depth + 3):
            self.nested[last][-1] = (self.nested[last][-1][0], end)


def unwrapped(text: str) -> str:
    """``text`` with each single line break a space (same length, same offsets): a paragraph
    wrapped over lines reads as its sentences."""
    return _WRAP.sub(" ", text)


def lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    end = len(text) if end is None else end
    out, at = [], start
    for raw in text[start:end].split("\n"):
        out.append(Line(at, at + len(raw), raw))
        at += len(raw) + 1
    return out


def sections(text: str) -> list[Section]:
    """The sections of ``text``: ATX headings ("## Title") and setext ones (a title line
    underlined with "===" or "---"); a ``#`` line inside a fenced code block (a shell comment)
    is no heading."""
    heads, in_code = [], False
    all_lines = lines(text)
    for i, ln in enumerate(all_lines):
        if _FENCE.match(ln.text):
            in_code = not in_code
        elif not in_code and (m := _HEADING.match(ln.text)):
            heads.append((ln.start, m.group(1)))
        elif not in_code and is_setext_title(all_lines, i):
            heads.append((ln.start, ln.text.strip()))
    if not heads or heads[0][0] > 0:
        heads.insert(0, (0, ""))
    return [Section(a, heads[i + 1][0] if i + 1 < len(heads) else len(text), h)
            for i, (a, h) in enumerate(heads)]


def is_setext_title(all_lines: list[Line], i: int) -> bool:
    """Whether line ``i`` is a setext heading's title: a one-line paragraph (after a blank
    line or at the top) that is no list item, table row or fence, underlined by the next line
    ("Solving a problem" over "-----------------"). A rule after a blank line is no underline."""
    if i + 1 >= len(all_lines) or not _UNDERLINE.match(all_lines[i + 1].text):
        return False
    line = all_lines[i].text
    return bool(line.strip()) and (i == 0 or not all_lines[i - 1].text.strip()) and not (
        _FENCE.match(line) or _ROW.match(line) or _item(line)[1] is not None
        or _UNDERLINE.match(line) or line.startswith((" " * 4, "\t")))


def section_at(text: str, offset: int) -> Section:
    return next(s for s in reversed(sections(text)) if s.start <= offset)


def blocks(text: str, start: int = 0, end: int | None = None, rows: bool = False) -> list[Block]:
    """The list blocks of ``text[start:end]``, in order; with ``rows``, a Markdown table's body
    rows too (kind ``row``, each row's text without its outer bars; the header row and the
    rule under it are no items)."""
    out: list[Block] = []
    current: Block | None = None
    last_text: tuple[int, int] | None = None
    in_code, blank = False, False
    last_number = 0  # the number of the last numbered item
    all_lines = lines(text, start, end)
    directives = _directive_fences(all_lines)  # their lines are read as the page's own text
    for i, ln in enumerate(all_lines):
        if i in directives or (not in_code and _opens_section(all_lines, i)):
            _close(out, current)
            current, last_text, blank = None, None, False
            continue
        if _FENCE.match(ln.text):
            current, in_code = _fence(out, current, in_code, last_text), not in_code
            continue
        if in_code:
            if ln.text.strip() and current is not None:
                current.items.append((ln.start + len(ln.text) - len(ln.text.lstrip()),
                                      ln.start + len(ln.text.rstrip())))
            continue
        if rows and _ROW.match(ln.text):
            if current is None or current.kind != "row":
                _close(out, current)
                current = Block("row", last_text)
            _add_row(current, ln, all_lines[i + 1].text if i + 1 < len(all_lines) else "")
            blank = False
            continue
        kind, m = _item(ln.text)
        depth = len(ln.text) - len(ln.text.lstrip())
        if m is not None and current is not None and current.items and depth > current.depth:
            current.nest(ln.start + m.end(), ln.start + len(ln.text.rstrip()))
            blank = False  # a sub-step: the item's, not a list of its own
        elif m is not None:
            number = int(m.group(1)) if kind == "numbered" else 0
            current = _block_for(out, current, kind, 0 < number < last_number, last_text)
            current.add(ln.start + m.end(), ln.start + len(ln.text.rstrip()), depth)
            blank, last_number = False, number
        elif not ln.text.strip():
            blank = True
        elif _continues(current, ln.text, blank):
            assert current is not None  # a continuation of the item's text
            current.extend(ln.start + len(ln.text.rstrip()), blank, depth)
            blank = False
        else:
            # The introducing text is the whole paragraph before the list, not its last line.
            opens = ln.start + len(ln.text) - len(ln.text.lstrip())
            if current is None and not blank and last_text is not None:
                opens = last_text[0]
            _close(out, current)
            current, blank = None, False
            last_text = (opens, ln.start + len(ln.text.rstrip()))
    _close(out, current)
    return out


def _fence(out: list[Block], current: Block | None, in_code: bool,
           intro: tuple[int, int] | None) -> Block | None:
    """A fence line: it closes the code block (an empty fence, "```{versionadded} 6.0" then
    "```", is none) or opens one, introduced by ``intro``."""
    if in_code:
        if current is not None:
            _close(out, current)
        return None
    _close(out, current)
    return Block("code", intro)


def _opens_section(all_lines: list[Line], i: int) -> bool:
    """An ATX heading, a setext heading's title, or its underline."""
    return bool(_HEADING.match(all_lines[i].text)) or is_setext_title(all_lines, i) or (
        i > 0 and _UNDERLINE.match(all_lines[i].text) is not None
        and is_setext_title(all_lines, i - 1))


def _directive_fences(all_lines: list[Line]) -> set[int]:
    """The lines opening and closing a MyST/Sphinx directive ("```{note}" ... "```"), whose
    text is the page's prose, not a code block's commands; a code block's lines are skipped."""
    out: set[int] = set()
    directive = code = False
    for i, ln in enumerate(all_lines):
        if not _FENCE.match(ln.text):
            continue
        if directive or (not code and _DIRECTIVE.match(ln.text)):
            out.add(i)
            directive = not directive
        else:
            code = not code
    return out


def _block_for(out: list[Block], current: Block | None, kind: str, restarts: bool,
               intro: tuple[int, int] | None) -> Block:
    """The block an item of ``kind`` goes into: ``current``, or a new one (``current`` closed)
    for another kind, or when the numbering starts again or goes back (another list: a PDF's
    "4. STUDY DESIGN" heading after a list's "5." item)."""
    if current is not None and current.kind == kind and not restarts:
        return current
    _close(out, current)
    return Block(kind, None if current is not None and current.kind == kind else intro)


def _continues(current: Block | None, line: str, blank: bool) -> bool:
    """Whether ``line`` (not an item, not blank) goes on with the last item's text: it follows
    it, or is indented after a blank line, and is no label opening the next list."""
    return (current is not None and bool(current.items) and (not blank or line[:2] == "  ")
            and not _LABEL_LINE.match(line))


def _add_row(block: Block, ln: Line, following: str) -> None:
    """A table row's text, without its outer bars, as an item (the rule and the header row
    above it are none)."""
    if _RULE.match(ln.text) or _RULE.match(following):
        return
    lead = len(ln.text) - len(ln.text.lstrip(" |"))
    body = ln.text.strip().strip("|").strip()
    block.items.append((ln.start + lead, ln.start + lead + len(body)))


def is_reference(text: str, block: Block) -> bool:
    """A block whose items each speak of their own thing: a table's rows, or a bulleted list
    whose items open with a bold label. Its answer is the items of the question, not all."""
    if block.kind == "row":
        return True
    labelled = sum(bool(_LABEL.match(text[a:b])) for a, b in block.items)
    return block.kind == "bulleted" and labelled >= max(2, (len(block.items) + 1) // 2)


def _item(line: str) -> tuple[str, re.Match[str] | None]:
    if m := _NUMBERED.match(line):
        return "numbered", m
    if m := _BULLET.match(line):
        return "bulleted", m
    return "", None


def _close(out: list[Block], block: Block | None) -> None:
    if block is not None and block.items:
        out.append(block)


def terms(text: str, generic: Iterable[str] = _GENERIC) -> frozenset[str]:
    """The stemmed content words of ``text``, without the words that only say what shape a
    question wants ("steps", "difference", "explain")."""
    drop = frozenset(generic)
    return frozenset(stem(w) for w in content_words(text) if w not in drop and len(w) > 1)


@functools.lru_cache(maxsize=256)
def code_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where ``text``'s fenced code blocks stand (fences included); a MyST directive's fence
    ("```{note}") holds prose and is none."""
    all_lines = lines(text)
    directives = _directive_fences(all_lines)
    out, opened = [], -1
    for i, ln in enumerate(all_lines):
        if i in directives or not _FENCE.match(ln.text):
            continue
        if opened < 0:
            opened = ln.start
        else:
            out.append((opened, ln.end))
            opened = -1
    if opened >= 0:
        out.append((opened, len(text)))
    return tuple(out)


def in_code(text: str, at: int) -> bool:
    """Whether offset ``at`` of ``text`` lies in a fenced code block."""
    return any(a <= at < b for a, b in code_spans(text))


def prose(text: str) -> bool:
    """Whether a sentence is prose that can say something: not a Markdown heading ("#### Tilde
    Ranges `~1.2.3`") or a fence, and at least ``PROSE_LETTERS`` of its
    characters (spaces aside) letters, which a line of code is not ("semver.clean(' =v1.2.3 ')
    // '1.2.3'": 0.36; "pip's caching is disabled by passing `--no-cache-dir`": 0.88)."""
    stripped = _DIRECTIVE_OPENING.sub("", text.lstrip())  # "```{note} As mentioned ...": prose
    if stripped.startswith(("#", "```", "~~~")):
        return False
    chars = [c for c in stripped if not c.isspace()]
    return bool(chars) and sum(c.isalpha() for c in chars) >= PROSE_LETTERS * len(chars)


def coverage(wanted: frozenset[str], text: str) -> float:
    """The share of ``wanted`` terms that ``text`` holds (1.0 when nothing is wanted)."""
    if not wanted:
        return 1.0
    return len(wanted & terms(text, ())) / len(wanted)


_LETTERS = re.compile(r"[a-z]+")


def joined_coverage(wanted: frozenset[str], question: str, text: str) -> float:
    """:func:`coverage`, where a word of ``text`` that joins two words the question writes
    apart ("rollback" for "roll back", "setup" for "set up", "login" for "log in") holds both."""
    if not wanted:
        return 1.0
    words = _LETTERS.findall(question.lower())
    joined = {a + b: (stem(a), stem(b)) for a, b in zip(words, words[1:])}
    held = set(terms(text, ()))
    for word in _LETTERS.findall(text.lower()):
        held.update(joined.get(word, ()))
    return len(wanted & held) / len(wanted)


def title_key(passage: Passage) -> str:
    """The document's title without its years or numbers, lower case ("travel policy" for
    "Travel policy 2025"): what the versions of a document, or the reports of a series, share;
    "" when fewer than two words are left."""
    words = _TITLE_WORD.findall(re.sub(r"\d+", " ", passage.title.lower()))
    return " ".join(words) if len(words) >= 2 else ""
