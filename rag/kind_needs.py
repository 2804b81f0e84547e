"""What each kind of question needs from the evidence: the refusal gate's per-kind features
(:data:`KIND_FEATURES`, the tail of :data:`rag.answerability.FEATURES`).

A typed question (when, who, how much, how many ...) needs an entity of its type *tied to the
question's subject*: in a top evidence sentence that also names the subject (the question's
rarest entity, or its rarest term when it names none). A date next to another subject does not
answer "when did X ...", nor a name next to another subject "who ...". Dates and people get
flags of their own (``date_missing``, ``person_missing``) beside the figures'
(``figure_missing``). A procedure, explanation, yes/no or comparison question needs no short
span: it is answered by a section that addresses it, so its kind (``open_kind``), whether a
section gives a procedure's steps (``steps_given``, rag.shapes.procedure.answers) and how well
the best passage covers its terms for those kinds (``open_coverage``) are features, so the model
can weigh the other features differently for them.

Which flags refuse outright (whatever the model's score) is chosen per fit by
``python -m fitting.cross_set`` and stored in the weights file (``hard``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.generators.extractive import ScoredSentence
from rag.question_typing import AnswerType, Entity, Nlp
from rag.shapes import procedure
from rag.shapes.kinds import question_kind
from rag.shapes.types import ShapeInput
from rag.types import Passage

KIND_FEATURES = (
    "open_kind",  # a procedure, explanation, yes/no or comparison question
    "steps_given",  # a procedure question and a section gives its steps (shapes.procedure)
    "open_coverage",  # open_kind x idf-weighted share of the question's terms in the best passage
    "typed_tied",  # typed question: an entity of its type in a top sentence naming the subject
    #                (1 for questions no entity answers)
    "date_missing",  # a date/time question and no date in the top sentences
    "person_missing",  # a person question and no person named in the top sentences
)
KIND_NEUTRAL = (0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
OPEN_KINDS = frozenset({"procedure", "explanation", "yes_no", "comparison"})
DATE_KINDS = frozenset({"date", "time"})
PERSON_KINDS = frozenset({"person"})

Words = Callable[[str], tuple[str, ...]]


def subject_words(question_entities: Sequence[Entity], rarest: str | None,
                  words: Words) -> set[str]:
    """The words that name the question's subject: its entities' words, else its rarest term."""
    found = {w for e in question_entities for w in words(e.text)}
    if not found and rarest:
        found = {rarest}
    return found


def kind_features(kind: str, answer_type: AnswerType,
                  top: Sequence[ScoredSentence], candidates: Sequence[Sequence[Entity]],
                  subject: set[str], coverage: float, steps: bool, words: Words) -> list[float]:
    """The :data:`KIND_FEATURES` row. ``candidates``: per top sentence, its entities of the
    asked type not named in the question; ``subject``: :func:`subject_words`; ``coverage``:
    the idf-weighted share of the question's terms in the best passage."""
    open_kind = kind in OPEN_KINDS
    tied = not answer_type.labels or any(
        found and subject & set(words(s.text)) for s, found in zip(top, candidates))
    labels = {e.label for found in candidates for e in found}
    return [
        1.0 if open_kind else 0.0,
        1.0 if kind == "procedure" and steps else 0.0,
        coverage if open_kind else 0.0,
        1.0 if tied else 0.0,
        1.0 if answer_type.kind in DATE_KINDS and not labels & {"DATE", "TIME"} else 0.0,
        1.0 if answer_type.kind in PERSON_KINDS and "PERSON" not in labels else 0.0,
    ]


def kind_of(question: str, nlp: Nlp) -> str:
    """The question's kind (rag.shapes.kinds)."""
    return question_kind(question, nlp.question_tags(question)).kind


def steps_given(question: str, nlp: Nlp, passages: Sequence[Passage],
                ranked: Sequence[ScoredSentence]) -> bool:
    """Whether a section gives a procedure question's steps (the gate's exception's test)."""
    kind = question_kind(question, nlp.question_tags(question))
    if kind.kind != "procedure" or not passages or not ranked:
        return False
    return procedure.answers(ShapeInput(question, kind, passages, ranked, None))
