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
    a = "Fee: 30 euros. Members of the club pay nothing at all on weekdays."
    b = "Fee: 45 euros. Members of the club pay nothing at all on weekdays."
    assert list(changed_values("money", a, b)) == []  # too few like words in its sentence
    c = "Under the rules agreed last year the fee is 30 euros a month for each member."
    d = "Since the board voted in May the charge went up to 45 euros a month for each member."
    assert list(changed_values("money", c, d)) == []  # more than a value was rewritten
    e = "The report was filed by the auditor of the city council last year, the mayor said."
    f = "The report was filed by the treasurer of the city council last year, the mayor said."
    assert list(changed_values("count", e, f)) == []  # a word, not a figure


def _stage(texts: dict[str, str]):
    """The real short-answer stage (real spaCy, the real span locator) over documents
    ``texts`` (doc_id -> its whole text)."""
    from rag.factory import build_nlp
    from rag.span_locator import SpanLocator
    from rag.stages.short_answer import ShortAnswer

    class Texts:
        def document_text(self, doc_id: str) -> str:
            return texts[doc_id]

    return ShortAnswer(build_nlp(), SpanLocator(Texts()))


@pytest.fixture(scope="module")
def stage():
    return _stage({"handbook-2023.md": OLD, "handbook-2024.md": NEW})


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
    assert [s.text for s in sides] == ["20 weeks", "16 weeks"]  # each reading's whole entity
    assert [state.passages[s.passage - 1].doc_id for s in sides] == ["handbook-2024.md",
                                                                     "handbook-2023.md"]
    assert NEW[sides[0].start:sides[0].end] == "20 weeks"
    assert OLD[sides[1].start:sides[1].end] == "16 weeks"
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
    for periods, expected in (((None, None), ["20 weeks", "16 weeks"]),
                              (((2024, 2024), (2023, 2023)), []),
                              (((2024, 2024), (2024, 2024)), ["20 weeks", "16 weeks"])):
        newer = _passage("handbook-2024.md", NEW, "2024-01-10", period=periods[0])
        older = _passage("handbook-2023.md", OLD, "2023-01-10", period=periods[1])
        state = AnswerState(question=question, history=(), options=AskOptions())
        state.passages = [newer, older]
        sides = stage._revised_sides(state, answer_type, set(_content(question)))
        assert [s.text for s in sides] == expected, periods


TOWN = ("It was named for George Wythe, a signer of the Declaration of Independence and a "
        "mentor to Thomas Jefferson. The town's population was {n} at the 2010 census. It lies "
        "where two interstate highways cross, in the mountains of the south west.")


def test_like_words_may_run_on_past_the_sentence_of_the_change():
    """A value near its sentence's edge: the like words before it run on into the sentence
    before, and its sentence holds CONTEXT like words around it."""
    a, b = TOWN.format(n="8,211"), TOWN.format(n="4,106")
    (change,) = changed_values("count", a, b)
    assert a[change.start:change.end] == "8,211"
    assert b[change.other_start:change.other_end] == "4,106"
    lo, hi = change.sentence
    assert a[lo:hi] == "The town's population was 8,211 at the 2010 census."
    # like words up to the start (the end) of both texts are all there can be
    fee = "The fee is 30 euros. Members of the club pay nothing at all on weekdays."
    assert [fee[c.start:c.end] for c in changed_values("money", fee, fee.replace("30", "45"))] \
        == ["30"]
    calls = "Analysis of Results\nIn FY 2019, OPM handled 1,431,943 calls."
    assert [calls[c.start:c.end] for c in changed_values(
        "count", calls, calls.replace("1,431,943", "715,972"))] == ["1,431,943"]
    # an abbreviation or an initial ends no sentence: the change's sentence is the whole one
    c = ("The pilot, named in U.S. reports as E. V. Batouty, was born on 2 February 1940 and "
         "flew for the national airline.")
    (change,) = changed_values("date", c, c.replace("February", "June"))
    lo, hi = change.sentence
    assert c[change.start:change.end] == "February" and c[lo:hi] == c


def _titled_passage(doc_id: str, title: str, text: str) -> Passage:
    return Passage(chunk_id=f"{doc_id}#0", doc_id=doc_id, title=title, text=text, start=0,
                   end=len(text), score=0.5)


def _sides_of(stage, question: str, passages: list[Passage]) -> list[str]:
    from rag.stages.short_answer import _content
    from rag.stages.state import AnswerState

    state = AnswerState(question=question, history=(), options=AskOptions())
    state.passages = list(passages)
    answer_type = stage._nlp.classify(question)
    return [s.text for s in stage._revised_sides(state, answer_type, set(_content(question)))]


ATHLETE = ("{name} is a Swedish sprinter. {pronoun} finished second in the 1971 European Indoor "
           "Games relay with the national team, and third in the 1971 European Indoor Games "
           "{metres} metres. {pronoun} won a silver medal in the 1970 Nordic Games relay with "
           "the national team and the club.")


def test_pages_named_after_two_things_state_their_own_values():
    """Two athletes' pages say one sentence with their own figures: no dispute. The same page
    and its revised copy do disagree."""
    from rag.stages.sides import other_named

    berg = ATHLETE.format(name="Anna Berg", pronoun="She", metres="800")
    lund = ATHLETE.format(name="Karin Lund", pronoun="She", metres="400")
    stage = _stage({"berg.txt": berg, "lund.txt": lund, "berg-revised.txt": lund})
    question = "How many metres did the Swedish sprinter run at the 1971 European Indoor Games?"
    a = _titled_passage("berg.txt", "Anna Berg", berg)
    b = _titled_passage("lund.txt", "Karin Lund (athlete)", lund)
    assert other_named(a, b)
    assert _sides_of(stage, question, [a, b]) == []
    copy = _titled_passage("berg-revised.txt", "Anna Berg (revised)", lund)
    assert not other_named(a, copy)
    assert _sides_of(stage, question, [a, copy]) == ["800 metres", "400 metres"]
    # headlines are no names: two stories titled otherwise may still be one statement
    assert not other_named(replace(a, title="Swedish sprinters shine at the indoor games"), b)


def test_the_title_counts_with_the_sentence_and_a_figure_of_any_label_answers_a_figure():
    """"The town's population was 8,211" in a page titled "Wytheville, Virginia" is about a
    town in Virginia; a revised share (80%, read as a percent) answers "how much"."""
    old, new = TOWN.format(n="8,211"), TOWN.format(n="4,106")
    stage = _stage({"town.txt": old, "town-revised.txt": new})
    question = "What is the population of the place where two interstate highways cross in Virginia?"
    a = _titled_passage("town.txt", "Wytheville, Virginia", old)
    b = _titled_passage("town-revised.txt", "Wytheville, Virginia (revised)", new)
    assert _sides_of(stage, question, [a, b]) == ["8,211", "4,106"]
    untitled = [replace(a, title="Town"), replace(b, title="Town (revised)")]
    assert _sides_of(stage, question, untitled) == []  # one word of the question only

    genome = ("Text: The genome sequence of the new virus also has about {p} identity with the "
              "older virus, but it is most similar to some bat coronaviruses, the authors said.")
    x, y = genome.format(p="80%"), genome.format(p="48%")
    stage = _stage({"paper.txt": x, "paper-revised.txt": y})
    question = "How much identity does the genome of the new virus share with the older virus?"
    assert stage._nlp.classify(question).kind == "quantity"
    assert _sides_of(stage, question, [_titled_passage("paper.txt", "A paper", x),
                                       _titled_passage("paper-revised.txt", "A paper", y)]) \
        == ["80%", "48%"]


@pytest.fixture(scope="module")
def refusing(tmp_path_factory, embedder):
    """The real pipeline (real model, real Chroma in a temp dir) with a gate that refuses
    every question (the threshold gate at a cosine of 1), over a handbook and its revision."""
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    root = tmp_path_factory.mktemp("refusing")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "handbook-2023.md").write_text(f"---\ndate: 2023-01-10\n---\n{OLD}\n")
    (corpus / "handbook-2024.md").write_text(f"---\ndate: 2024-01-10\n---\n{NEW}\n")
    (corpus / "canteen.txt").write_text("The canteen opens at noon and closes at three. It "
                                        "serves soup, bread and a hot dish every weekday.")
    settings = make_settings(root / "data", retrieval={"refusal": "threshold",
                                                       "min_relevance": 1.0})
    pipeline = build_pipeline(settings, embedder=embedder)
    assert not pipeline.ingest.sync(corpus).failed
    return pipeline


def test_a_revised_value_keeps_the_gate_from_refusing(refusing):
    """The gate refuses both questions; the one whose passages state its value two ways is
    answered after all, naming both, each cited; the other stays refused."""
    answer = refusing.answers.answer("How many weeks of parental leave do employees get?")
    assert not answer.refused, answer.answer
    assert answer.answer.startswith("The sources disagree")
    assert [(s.text, s.doc_id) for s in answer.disagreement] == [
        ("20 weeks", "handbook-2024.md"), ("16 weeks", "handbook-2023.md")]
    assert refusing.answers.answer("When does the canteen open?").refused
