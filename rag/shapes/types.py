"""What a shape builder gets (the passages and their scored sentences) and gives (cited
pieces, with the answer text that lists them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.generators.extractive import ScoredSentence, find_trimmed
from rag.question_typing import Entity
from rag.sentences import reflowed, split_sentences
from rag.shapes.kinds import QuestionKind
from rag.shapes.text import in_code, prose, terms, unwrapped
from rag.types import Passage, Refusal

# A fence opening a block, read into the sentence after it: "```{note} As mentioned ..."
_FENCE_OPENING = re.compile(r"(?:```|~~~)\s*(?:\{[^}\n]*\}|\w+)?[ \t]+(?=\S)")


@dataclass(frozen=True)
class Piece:
    """One cited piece of a shape: a step, an item, a side's sentence, a period's figure.
    ``passage`` is 1-based (the draft's numbering); ``start``/``end`` index its text (the
    stage turns them into document offsets)."""

    text: str
    passage: int
    start: int
    end: int
    label: str = ""  # a step's number, a comparison's side, a trend row's period
    value: str = ""  # a trend row's figure


@dataclass
class Shaped:
    """A built shape. ``text``: the answer text, each piece cited ``[passage]``; empty keeps
    the answer as composed (a list that the short answer already states)."""

    kind: str
    pieces: list[Piece] = field(default_factory=list)
    text: str = ""
    verdict: str | None = None  # yes_no: "yes", "no", or None (undecided)
    note: str = ""  # "Only 2 found", "It rose from 58.6 in 2018 to 88.41 in 2022."
    table: bool = False  # trend: the pieces are rows (period, value, citation)
    # list: the whole sentence whose enumeration gave the pieces, opening the answer (unless it
    # already holds it) when the pieces ride beside the composed answer (``text`` empty)
    lead: Piece | None = None
    # changes without pieces: why ("versions": the document in one version; "unchanged": its
    # versions state nothing different about the part asked of), said by the refusal
    refusal: Refusal | None = None
    grown: bool = False  # the pieces index ShapeInput.grown's passages, not .passages


@dataclass(frozen=True)
class ShapeInput:
    question: str
    kind: QuestionKind
    passages: Sequence[Passage]
    sentences: Sequence[ScoredSentence]  # best first
    short: tuple[str, int] | None = None  # the short answer's text and passage, if any
    # The key terms (rag.shapes.text.terms) of the question's focus: its words beyond naming
    # the top passage's document (rag.retrieval.focus); empty when not known.
    focus: frozenset[str] = frozenset()
    # Where the answer's first sentence (the selector's choice, verified) stands: its passage
    # number and start offset in that passage's text; None when not known.
    read: tuple[int, int] | None = None
    # The named entities of a text (rag.question_typing.Nlp.entities), for the shapes that
    # compare what two sentences name (a two-subject yes/no); None when not given.
    entities: Callable[[str], Sequence[Entity]] | None = None
    # Pairs (n, m): passage m is another version of passage n (``Passage.versions``, put among
    # the passages by the stage for a changes question: rag.shapes.changes); best ranked first.
    versions: tuple[tuple[int, int], ...] = ()
    # The passages grown further, to their last section's subsections (a procedure's "###
    # Unix/macOS" commands under the section saying what they do: rag.shapes.commands); each
    # starts where its passage does. Empty: not given.
    grown: Sequence[Passage] = ()

    @property
    def asked(self) -> frozenset[str]:
        """What a heading, a section or an item is judged by: the focus when it holds two key
        terms or more, else the question's key terms (one word left after the document's name
        is too little to tell its sections apart)."""
        return self.focus if len(self.focus) >= 2 else terms(self.question)

    def where(self, sentence: ScoredSentence, passage: int | None = None) -> tuple[int, int]:
        """The sentence's offsets in its passage's text, or in passage ``passage``'s (a passage
        grown to its section holds its neighbours' sentences too); (-1, -1) when not found."""
        n = sentence.passage if passage is None else passage
        text = reflowed(self.passages[n - 1].text)  # as it was split: same offsets
        at = find_trimmed(text, sentence.text)
        return (at, at + len(sentence.text)) if at >= 0 else (-1, -1)

    def said(self, sentence: ScoredSentence) -> bool:
        """Whether the sentence is prose of its page that can say something: no heading, no
        line of code (rag.shapes.text.prose) and not inside a fenced code block (a grammar's
        "range-set ::= range ( logical-or range ) *")."""
        if not prose(sentence.text):
            return False
        a, _ = self.where(sentence)
        return a < 0 or not in_code(self.passages[sentence.passage - 1].text, a)

    def piece(self, sentence: ScoredSentence, label: str = "", value: str = "") -> Piece | None:
        """The sentence as a piece, the whole sentence when a line break cut it (a paragraph
        wrapped over lines)."""
        a, b = self.where(sentence)
        if a < 0:
            return None
        text = unwrapped(self.passages[sentence.passage - 1].text)
        for s in split_sentences(text):
            if s.start <= a and b <= s.end:
                a, b = s.start, s.end
                break
        if fence := _FENCE_OPENING.match(text, a, b):  # "```{note} As mentioned ...": not said
            a = fence.end()
        return Piece(text[a:b], sentence.passage, a, b, label, value)


def cite(text: str, passage: int) -> str:
    """``text`` closed by a stop and its marker."""
    text = text.strip()
    return f"{text} [{passage}]"
