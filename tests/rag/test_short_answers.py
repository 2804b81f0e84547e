"""The exact answer over the real index of the sample corpus: the right entity, first in the
answer and cited, at offsets that read the same in the stored document text."""

from __future__ import annotations

import pytest

from rag import markers


def _check_offsets(pipeline, answer):
    short = answer.short_answer
    cited = [c for c in answer.citations if c.n == short.citation]
    assert len(cited) == 1
    c = cited[0]
    text = pipeline.store.document_text(c.doc_id)
    assert text[short.start:short.end] == short.text
    assert c.start <= short.start < short.end <= c.end  # inside the cited passage
    # The answer opens with it, cited with the same number, then the sentences stating it.
    first, cites = markers.marked_sentences(answer.answer)[0]
    assert first.rstrip(".") == short.text.rstrip(".") and cites == [short.citation]
    assert answer.answer.startswith(short.text)
    assert len(markers.marked_sentences(answer.answer)) >= 2


# Worded unlike the gold questions of eval/gold/sample_qa.jsonl.
@pytest.mark.parametrize("question, expected", [
    ("Who is the Foreign Secretary of Mexico?", "Alicia Bárcena"),
    ("Which firm said the rail closures cost $200 million a day?", "Union Pacific"),
    ("How many people crossed Mexico's southern border this week without being stopped?",
     "6,000"),
    ("Which cities' mayors said they had no more room for migrants?",
     "New York, Chicago and Denver"),
    ("Which countries in Central America does the memorandum target?",
     "El Salvador, Honduras, and Guatemala"),
])
def test_typed_questions_get_the_exact_span(seeded, question, expected):
    answer = seeded.answers.answer(question)
    assert not answer.refused
    assert answer.short_answer is not None, answer.answer
    assert answer.short_answer.text == expected
    _check_offsets(seeded, answer)
    assert "short_answer" in answer.timings_ms


def test_no_short_answer_when_the_question_asks_for_no_entity(seeded):
    answer = seeded.answers.answer("Why did Blinken travel to Mexico?")
    assert answer.answer_type == "reason"
    assert answer.short_answer is None
    assert answer.to_public()["short_answer"] is None


def test_refusal_has_no_short_answer(seeded):
    answer = seeded.answers.answer("What is the capital of Canada?")
    assert answer.refused and answer.short_answer is None
    assert answer.to_public()["short_answer"] is None


def test_the_public_body_carries_the_short_answer(seeded):
    answer = seeded.answers.answer("Who is the Foreign Secretary of Mexico?")
    body = answer.to_public()
    assert body["short_answer"] == {"text": "Alicia Bárcena", "citation": 1,
                                    "start": answer.short_answer.start,
                                    "end": answer.short_answer.end}


@pytest.fixture(scope="module")
def nlp():
    from rag.question_typing import Nlp

    return Nlp()


def _picker(nlp, question):
    """The short-answer picker with the real spaCy pipeline, the question's type and words."""
    from rag.stages.short_answer import ShortAnswer, _content

    return ShortAnswer(nlp, locator=None), nlp.classify(question), set(_content(question))


def test_a_measure_question_takes_a_figure_of_its_unit(nlp):
    # "680,000 people" is a figure but no length: with the real spaCy pipeline, the picker skips
    # it for the figure that names the asked unit, and finds none when no figure does.
    picker, typed, words = _picker(
        nlp, "How many kilometres long is the border between the United States and Mexico?")
    assert (typed.kind, typed.focus) == ("quantity", "kilometres")
    text = ("Mexico reports that 680,000 people traveled through the country in 2023. "
            "The border runs for 3,145 kilometers from the Gulf of Mexico to the Pacific.")
    (start, end), _ = picker._pick(text, typed, words)
    assert text[start:end] == "3,145 kilometers"
    assert picker._pick(text.split(". ")[0] + ".", typed, words) is None


def test_a_count_question_takes_no_year_for_its_figure(nlp):
    # "In FY 2022, OPM received ..." for "how many cases": the small model tags the bare year a
    # cardinal; a year after a dating word, or with no counted thing after it, is no count.
    picker, typed, words = _picker(nlp, "How many retirement cases did OPM process in FY 2021?")
    assert typed.kind == "count"
    dated = ("In FY 2022, OPM received, on average, eight percent more cases than in FY 2021, "
             "and processed 24 percent more cases in FY 2022 than in FY 2021.")
    picked = picker._pick(dated, typed, words)
    assert picked is None or dated[slice(*picked[0])] not in ("2022", "2021"), picked
    counted = "In FY 2021, OPM processed 2000 cases and closed 1,500 of them."
    (start, end), _ = picker._pick(counted, typed, words)
    assert counted[start:end] in ("2000", "1,500")


def test_a_count_question_takes_the_figure_its_counted_noun_follows(nlp):
    from rag.stages.short_answer import COUNTED

    picker, typed, words = _picker(
        nlp, "About how many private retirement plans are covered by the protections?")
    assert (typed.kind, typed.focus) == ("count", "plans")
    text = ("It protects more than 154 million workers, retirees and their families who are "
            "covered by approximately 734,000 private retirement plans, 2 million health plans, "
            "and 662,000 other welfare benefit plans.")
    (start, end), _ = picker._pick(text, typed, words, beside=COUNTED)
    assert text[start:end] == "734,000"
    # no figure the counted noun follows: none at that level
    assert picker._pick("It employs 800 people in 12 offices.", typed, words,
                        beside=COUNTED) is None


def test_a_duration_is_a_span_of_time_and_a_figure_keeps_its_range(nlp):
    picker, typed, words = _picker(nlp, "How long did the meeting last?")
    assert typed.kind == "duration"
    text = "The meeting on 7 February 2024 lasted more than two hours."
    (start, end), _ = picker._pick(text, typed, words)
    assert text[start:end].endswith("two hours")
    # a date alone answers no "how long"
    assert picker._pick("The meeting took place on 7 February 2024.", typed, words) is None
    # nor a window that dates: when it happened, not how long it lasted
    assert picker._pick("The ministers met twice in the last 24 hours.", typed, words) is None
    assert picker._pick("Crossings fell in recent days.", typed, words) is None
    text = "The meeting has been held every month for the past three years."
    (start, end), _ = picker._pick(text, typed, words)
    assert text[start:end].endswith("three years")
    picker, typed, words = _picker(nlp, "How many deaths occur each year from flu epidemics?")
    text = "Annual flu epidemics cause 250,000 to 500,000 deaths, the agency says."
    (start, end), _ = picker._pick(text, typed, words)
    assert text[start:end] == "250,000 to 500,000"
    text = "The agency counted between 1,250 and 1,750 deaths in the cluster."
    (start, end), _ = picker._pick(text, typed, words)
    assert text[start:end] in ("1,250 and 1,750", "between 1,250 and 1,750")


def test_a_who_question_takes_no_place_for_its_person(nlp):
    # "Who had edited British Vogue ...?" over a sentence naming no person: the small model's
    # "London" (a place) answered it. A person the recogniser takes for an organisation still
    # answers ("Patrice Louvet" tagged ORG); a place, a building or an event does not.
    picker, typed, words = _picker(nlp, "Who had edited British Vogue from 1916 to 1922?")
    assert typed.kind == "person"
    placed = "British Vogue is a British fashion magazine published based in London since 1916."
    assert [e.label for e in nlp.entities(placed)[0] if e.text == "London"] == ["GPE"]
    assert picker._pick(placed, typed, words) is None
    from rag.question_typing import Entity
    from rag.stages.short_answer import _candidates

    tokens = ["Louvet", "led", "it", "from", "Paris"]
    louvet = Entity("Louvet", "ORG", 0, 6, 0, 1)
    paris = Entity("Paris", "GPE", 22, 27, 4, 5)
    candidates, _ = _candidates([louvet, paris], tokens, typed, words)
    assert candidates == [louvet]


def test_a_quantity_asked_by_what_is_measured_takes_a_figure_in_its_units(nlp):
    # "How much memory": the focus names the measured quantity, not its unit; "8GB of RAM" is
    # in one of memory's units (the recogniser reads "at least 8" as a bare cardinal), and the
    # gate's test (rag.answerability.counted_in) reads it so too.
    from rag.answerability import counted_in
    from rag.question_typing import same_unit

    picker, typed, words = _picker(
        nlp, "How much memory do I need to compile the project with four parallel jobs?")
    assert (typed.kind, typed.focus) == ("quantity", "memory")
    text = "Memory: at least 8GB of RAM is typically required when compiling with 4 jobs."
    (start, end), _ = picker._pick(text, typed, words)
    assert text[start:end] == "8GB"
    assert counted_in(text, typed)
    assert same_unit("GiB", "memory") and same_unit("kilometres", "distance")
    assert not same_unit("people", "memory") and not same_unit("million", "miles")
