"""Two versions of one passage that differ in a value (a revised policy, a corrected story):
the changed run found by aligning them (rag.revisions), and the short-answer stage naming both
readings, each cited, with the real spaCy pipeline and the real span locator."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.revisions import changed_values
from rag.types import AskOptions, Passage

OLD = ("Leave policy\n\nEmployees may take parental leave after six months of service. Under "
       "the staff handbook, employees get 16 weeks of parental leave at full pay, the human "
       "resources office said. Requests go to line managers a month ahead.")
NEW = OLD.replace("16 weeks", "20 weeks")


def test_a_changed_figure_between_like_words_is_found():
    (change,) = changed_values("duration", OLD, NEW)
    assert OLD[change.start:change.end] == "16"
    assert NEW[change.other_start:change.other_end] == "20"
    lo, hi = change.sentence
    assert OLD[lo:hi].startswith("Under the staff handbook") and OLD[lo:hi].endswith("said.")


def test_names_dates_and_figures_each_by_their_kind():
    a = "The committee met on 4 March 2021 in Leeds and was chaired by Ruth Alder for the whole of that year."
    b = "The committee met on 4 March 2022 in Leeds and was chaired by Tomas Berg for the whole of that year."
    assert [a[c.start:c.end] for c in changed_values("date", a, b)] == ["2021"]
    # names: runs of words sharing none (a year is no name)
    assert [a[c.start:c.end] for c in changed_values("person", a, b)] == ["Ruth Alder"]
    # a figure the words around it state alike, but as a bound: both can be true
    c = "Staff at the site said that more than 200 people attended the meeting on Monday."
    d = "Staff at the site said that more than 300 people attended the meeting on Monday."
    assert list(changed_values("count", c, d)) == []


def test_rewritten_sentences_and_changes_at_an_edge_are_no_revision():
    a = "The fee is 30 euros. Members of the club pay nothing at all on weekdays."
    b = "The fee is 45 euros. Members of the club pay nothing at all on weekdays."
    assert list(changed_values("money", a, b)) == []  # too few like words before the change
    c = "Under the rules agreed last year the fee is 30 euros a month for each member."
    d = "Since the board voted in May the charge went up to 45 euros a month for each member."
    assert list(changed_values("money", c, d)) == []  # more than a value was rewritten
    e = "The report was filed by the auditor of the city council last year, the mayor said."
    f = "The report was filed by the treasurer of the city council last year, the mayor said."
    assert list(changed_values("count", e, f)) == []  # a word, not a figure


@pytest.fixture(scope="module")
def stage():
    from rag.factory import build_nlp
    from rag.span_locator import SpanLocator
    from rag.stages.short_answer import ShortAnswer

    class Texts:
        texts = {"handbook-2023.md": OLD, "handbook-2024.md": NEW}

        def document_text(self, doc_id: str) -> str:
            return self.texts[doc_id]

    return ShortAnswer(build_nlp(), SpanLocator(Texts()))


def _passage(doc_id: str, text: str, date: str, **kw) -> Passage:
    return Passage(chunk_id=f"{doc_id}#0", doc_id=doc_id, title="Leave policy", text=text,
                   start=0, end=len(text), score=0.5, date=date, **kw)


def test_the_stage_names_both_readings_of_a_revised_sentence(stage):
    from rag.question_typing import AnswerType  # noqa: F401 - the stage types the question
    from rag.stages.short_answer import _content
    from rag.stages.state import AnswerState

    older = _passage("handbook-2023.md", OLD, "2023-01-10")
    newer = _passage("handbook-2024.md", NEW, "2024-01-10", versions=(older,))
    other = _passage("canteen.txt", "The canteen opens at noon.", "2024-02-01")
    question = "How many weeks of parental leave do employees get?"
    state = AnswerState(question=question, history=(), options=AskOptions())
    state.passages = [other, newer]
    answer_type = stage._nlp.classify(question)
    assert answer_type.kind == "duration"
    sides = stage._revised_sides(state, answer_type, set(_content(question)))
    assert [s.text for s in sides] == ["20", "16"]
    assert [state.passages[s.passage - 1].doc_id for s in sides] == ["handbook-2024.md",
                                                                     "handbook-2023.md"]
    assert NEW[sides[0].start:sides[0].end] == "20" and OLD[sides[1].start:sides[1].end] == "16"
    # each reading's sentence is cited
    assert {n for n, spans in state.spans.items() if spans} == {s.passage for s in sides}
    # a sentence about something else does not count: too few of the question's words
    state = AnswerState(question="How many weeks does the canteen close?", history=(),
                        options=AskOptions())
    state.passages = [replace(newer)]
    assert stage._revised_sides(state, answer_type, {"canteen", "close"}) == []


def test_another_documents_passage_is_read_too_but_not_another_periods(stage):
    """A copy whose pages were cut otherwise is not collapsed into the passage: it is read as
    another passage. A report of another period saying the same sentence is no dispute."""
    from rag.stages.short_answer import _content
    from rag.stages.state import AnswerState

    question = "How many weeks of parental leave do employees get?"
    answer_type = stage._nlp.classify(question)
    for periods, expected in (((None, None), ["20", "16"]),
                              (((2024, 2024), (2023, 2023)), []),
                              (((2024, 2024), (2024, 2024)), ["20", "16"])):
        newer = _passage("handbook-2024.md", NEW, "2024-01-10", period=periods[0])
        older = _passage("handbook-2023.md", OLD, "2023-01-10", period=periods[1])
        state = AnswerState(question=question, history=(), options=AskOptions())
        state.passages = [newer, older]
        sides = stage._revised_sides(state, answer_type, set(_content(question)))
        assert [s.text for s in sides] == expected, periods
