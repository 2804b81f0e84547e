"""The commands a help page gives for a task without a list of steps (rag.shapes.procedure):

- a **walk-through**: code blocks of one command, each introduced by its own text ("To compile
  your native addon first go to its root directory:" ``cd my_node_addon``, "Use `configure`
  for that:" ``node-gyp configure``, "Next, invoke the `build` command:" ``node-gyp build``):
  each introduction and its command, in order;
- **one command per platform**: a section saying what ("It is possible to specify JavaScript
  files to be bundled in the binary as built-in modules") whose subsections (``### Unix/macOS``,
  ``### Windows``) each give the command: the section's sentence, then each subsection's
  command lines labelled by its heading (read in ``ShapeInput.grown``: the passages grown to
  their subsections, which the list search does not read, where other lists would compete).

Offsets index the passage text, as every piece's do."""

from __future__ import annotations

import re

from rag.shapes.text import Block, Section, blocks, sections
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

MAX_WALK = 8  # the most introduced commands a walk-through gives
MAX_PLATFORMS = 4  # the most subsections whose commands are given
MAX_LINES = 3  # a subsection's code block of more lines is an example, not a command
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s")
_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")


def walkthrough(text: str, n: int, section: Section, block: Block) -> list[tuple[Piece, Piece]]:
    """From ``block`` (a one-command code block with its introducing text) on, the one-command
    code blocks of its section, each introduced by its own text, as (text, command) pairs in
    order (at most MAX_WALK); a block of several lines, or one without its own introduction,
    ends it."""
    out: list[tuple[Piece, Piece]] = []
    started = False
    for b in blocks(text, section.start, section.end):
        started = started or b.items == block.items
        if not started:
            continue
        if b.kind != "code" or len(b.items) != 1 or b.intro is None or \
                (out and b.intro[0] < out[-1][1].end):
            break
        (a, z), (c, d) = b.intro, b.items[0]
        out.append((Piece(text[a:z], n, a, z, label=str(len(out) + 1)),
                    Piece(text[c:d], n, c, d)))
        if len(out) == MAX_WALK:
            break
    return out


def walked(walk: list[tuple[Piece, Piece]], n: int) -> Shaped:
    """Each step's text, then its command numbered: "To compile ...: [1]", "1. cd ... [1]"."""
    pieces = [p for pair in walk for p in pair]
    lines = [f"{cite(' '.join(lead.text.split()), n)}\n{i}. {cite(command.text, n)}"
             for i, (lead, command) in enumerate(walk, 1)]
    return Shaped("procedure", pieces, "\n".join(lines))


def level(text: str, section: Section) -> int:
    """A section's heading level: ``#`` count, 1 for "===" and 2 for "---" underlines; 0 for
    the text before the first heading."""
    if not section.heading:
        return 0
    line_end = text.find("\n", section.start)
    line_end = len(text) if line_end < 0 else line_end
    if m := _ATX.match(text[section.start:line_end]):
        return len(m.group(1))
    nxt = text[line_end + 1:text.find("\n", line_end + 1) if "\n" in text[line_end + 1:]
               else len(text)]
    m = _SETEXT.match(nxt)
    return (1 if m.group(1)[0] == "=" else 2) if m else 0


def per_subsection(inp: ShapeInput) -> Shaped | None:
    """The best scored sentence's section, when it gives no list or command of its own and its
    subsections each give a command (a code block of at most MAX_LINES lines): that sentence,
    then each subsection's command lines labelled by its heading; None otherwise (pip's "Basic
    HTTP authentication" gives its URL itself; its subsection's example of percent-encoding
    is no other way of doing it)."""
    if not inp.sentences:
        return None
    best = inp.sentences[0]
    at = inp.where(best)[0]
    if at < 0:
        return None
    n = best.passage
    text = inp.passages[n - 1].text
    grown = len(inp.grown) >= n and inp.grown[n - 1].text.startswith(text)
    if grown:  # the same start, read on to the subsections
        text = inp.grown[n - 1].text
    secs = sections(text)
    i = max(k for k, s in enumerate(secs) if s.start <= at)
    top = level(text, secs[i])
    if top == 0 or blocks(text, secs[i].start, secs[i].end):
        return None  # a section giving a list or a command of its own says how itself
    found: list[Piece] = []
    for sub in secs[i + 1:]:
        if level(text, sub) <= top or len({p.label for p in found}) == MAX_PLATFORMS:
            break
        code = next((b for b in blocks(text, sub.start, sub.end)
                     if b.kind == "code" and 1 <= len(b.items) <= MAX_LINES), None)
        if code is not None:
            found += [Piece(text[a:b], n, a, b, label=sub.heading) for a, b in code.items]
    if not found:
        return None
    lead = inp.piece(best)
    if lead is None:
        return None
    lines = [cite(lead.text, n)] + [f"- {p.label}: {cite(p.text, n)}" for p in found]
    return Shaped("procedure", [lead] + found, "\n".join(lines), grown=grown)


def subsections_end(text: str, at: int) -> int:
    """Where the section holding offset ``at`` ends with its subsections: at the next heading
    of its level or above (the end of ``text`` when none)."""
    secs = sections(text)
    i = max(k for k, s in enumerate(secs) if s.start <= at)
    top = level(text, secs[i])
    if top == 0:
        return secs[i].end
    return next((s.start for s in secs[i + 1:] if level(text, s) <= top), len(text))
