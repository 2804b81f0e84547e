"""What one question gathers on its way through the stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.question_typing import AnswerType
from rag.shapes import QuestionKind, Shaped
from rag.generators.base import Draft, GenerationRequest
from rag.generators.extractive import ScoredSentence
from rag.types import Answer, AskOptions, CitedTable, Passage, Refusal, Span, Turn
from rag.grounding import VerifiedDraft


@dataclass(frozen=True)
class ShortPick:
    """The exact answer: ``text`` is ``document[start:end]`` of passage ``passage`` (1-based,
    the draft's numbering; assemble turns it into the citation's number)."""

    text: str
    passage: int
    start: int
    end: int


@dataclass
class AnswerState:
    """The question and everything the stages found for it. Each field is filled by the stage
    named beside it; a stage only reads fields of the stages before it."""

    question: str  # validated
    history: Sequence[Turn]
    options: AskOptions
    streaming: bool = False  # the caller wants the answer text as it is produced
    standalone: str = ""  # condense: the follow-up rewritten as a question of its own
    query_vector: np.ndarray | None = None  # embed
    release: str | None = None  # retrieve: the release the answer is read from
    release_date: str | None = None  # retrieve: when that release's corpus state was made
    retrieved: list[Passage] = field(default_factory=list)  # retrieve: ranked candidates
    passages: list[Passage] = field(default_factory=list)  # retrieve: the top_k, numbered 1..k
    # retrieve: the question's words beyond naming the top passage's document (its focus)
    focus: tuple[str, ...] = ()
    sentences: list[ScoredSentence] = field(default_factory=list)  # evidence: scored sentences
    evidence: Draft | None = None  # evidence: the extractive answer (and LLM fallback)
    relevance: float | None = None  # gate: the refusal gate's score of the evidence
    draft: Draft | None = None  # generate: the generator's answer with markers
    verified: VerifiedDraft | None = None  # verify: the draft's supported sentences
    fallback: bool = False  # verify: the extractive answer replaced the draft
    spans: dict[int, list[Span]] = field(default_factory=dict)  # spans: by passage number
    tables: dict[int, CitedTable] = field(default_factory=dict)  # spans: cited table rows
    answer_type: AnswerType | None = None  # short_answer: what the question asks for
    short: ShortPick | None = None  # short_answer: the exact answer, if one was found
    # short_answer: when other documents state a conflicting value, every side (the short
    # answer's first), else empty
    sides: list[ShortPick] = field(default_factory=list)
    kind: QuestionKind | None = None  # gate (its procedure exception) or shape
    rescued: bool = False  # gate: refused by the gate, answered as a procedure's steps
    # gate: refused by the gate, answered for the revised value its passages state otherwise
    # (rag.stages.sides.Disputed): the answer stands only with the sides short_answer finds
    disputed: bool = False
    shaped: Shaped | None = None  # shape: the answer in the question's shape
    answer: Answer | None = None  # assemble
    refused: bool = False
    refusal: Refusal | None = None  # why, when more can be said than "no answer"
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds by stage name

    def refuse(self) -> None:
        """Stop here: the documents do not answer the question."""
        self.refused = True

    @property
    def request(self) -> GenerationRequest:
        """What a generator is given: the standalone question, its vector, the passages."""
        assert self.query_vector is not None, "the embed stage runs before this"
        return GenerationRequest(self.standalone, np.asarray(self.query_vector), self.passages)
