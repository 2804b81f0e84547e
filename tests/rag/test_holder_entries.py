"""Questions asking for a name, and lists of holders written one per line ("1719–1724: Hugo
Hamilton Hamilton af Hageby", "Manfred Schmidt ( 2010-2015 )"): the real encoder, spaCy and a
Chroma index over six of timeqa_train's pages (../shared/benchmarks).

- "What was the ship named ...", "the name of X's significant other": a name of any label
  (rag.question_typing, kind ``name``), where these were typed "definition" and got no short
  answer; "the name of the head of ..." asks for a person.
- the holder of a list's line is the whole of what stands beside the range
  (rag.stages.entity_text.entry_holder), where the recogniser read a part ("Hamilton Hamilton",
  "Schmidt") or nothing of it (the answer was another line's "Volunteer Activities").
- a line stating the asked range itself, in full dates ("Yuri Puntus ( 1 March 1996 – 30
  November 2004 )"), answers before the sentences read when none of them states the range
  (they stated its first year: "The club was re-established in 1996")."""

from __future__ import annotations


import pytest

from tests.helpers import SHARED, pipeline_over_pages

pytestmark = pytest.mark.slow

PAGES = ("Master-General_of_the_Ordnance_(Sweden).txt", "Air_Staff_(Sweden).txt",
         "Federal_Office_for_Migration_and_Refugees.txt", "MS_Costa_Allegra.txt",
         "Konrad_Wolf_Film_University_of_Babelsberg.txt", "Albert_Guerisse.txt",
         "FC_BATE_Borisov.txt", "Security_Service_of_Ukraine.txt")


@pytest.fixture(scope="module")
def pages(tmp_path_factory, embedder):
    return pipeline_over_pages(tmp_path_factory, embedder,
                               SHARED / "benchmarks" / "timeqa_train" / "corpus", PAGES,
                               "holders")


def _short(pages, question: str) -> str | None:
    answer = pages.answers.answer(question)
    assert not answer.refused, answer.answer
    short = answer.short_answer
    if short is not None:  # the short answer is the document's own text at its offsets
        cited = next(c for c in answer.citations if c.n == short.citation)
        text = pages.store.document_text(cited.doc_id)
        assert text[short.start:short.end] == short.text
    return None if short is None else short.text


@pytest.mark.parametrize("question, holder", [
    ("The Swedish Master-General of the Ordnance had which person in its office from 1719 to "
     "1724?", "Hugo Hamilton Hamilton af Hageby"),
    ("The staff of the Chief of the Swedish Air Force known as the Air Staff was commanded by "
     "which Chief from 1964 to 1966?", "Gösta Odqvist"),
    ("Who was the head of the German Federal Office for Migration and Refugees from Dec 2010 "
     "to Sep 2015?", "Manfred Schmidt"),
])
def test_a_lists_line_gives_its_whole_holder(pages, question, holder):
    assert _short(pages, question) == holder


@pytest.mark.parametrize("question, holder", [
    ("Who was the first manager of FC BATE Borisov from 1996 to 2004 after the club was "
     "re-established?", "Yuri Puntus"),
    ("From Mar 2010 to 2012 who was the head of Security Service of Ukraine?",
     "Valeriy Ivanovych Khoroshkovsky"),
])
def test_the_line_stating_the_asked_range_answers_first(pages, question, holder):
    answer = pages.answers.answer(question)
    assert answer.short_answer is not None and answer.short_answer.text == holder, answer.answer
    assert answer.answer.startswith(holder), answer.answer  # its line opens the answer


@pytest.mark.parametrize("question, name", [
    ("What was the MS Costa Allegra named from 1969 to 1986?", "Annie Johnson"),
    ("What was the name of the head of Konrad Wolf Film University of Babelsberg from 1990 to "
     "1995?", "Wolf-Dieter Panse"),
    ("What concentration camp was resistance member Edmond Guérisse transferred to and held "
     "from Jun 1944 to Sep 1944?", "the Natzweiler-Struthof"),
])
def test_a_name_asked_for_is_read_from_the_sentence(pages, question, name):
    assert _short(pages, question) == name
