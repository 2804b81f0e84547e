"""A question naming a period whose answer sits in a sentence dated so, below sentences that
describe the subject but state no year (rag.stages.short_answer, ``_dated``): the real
encoder, spaCy and a Chroma index over timeqa_train's pages (../shared/benchmarks), the three
questions of one group that differ only in their dates."""

from __future__ import annotations


import pytest

from tests.helpers import SHARED, pipeline_over_pages

pytestmark = pytest.mark.slow

PAGES = ("Niigata_Prefecture.txt", "Emirate_of_Diriyah.txt", "British_Vogue.txt")


@pytest.fixture(scope="module")
def pages(tmp_path_factory, embedder):
    return pipeline_over_pages(tmp_path_factory, embedder,
                               SHARED / "benchmarks" / "timeqa_train" / "corpus", PAGES,
                               "dated")


def test_the_holder_of_the_asked_period_is_read_from_the_sentence_dated_so(pages):
    answer = pages.answers.answer("Who governed the Niigata Prefecture from Jun 2018 to Jun 2019?")
    assert not answer.refused, answer.answer
    assert answer.short_answer is not None, answer.answer
    assert answer.short_answer.text == "Hideyo Hanazumi", answer.answer
    # the dated sentence opens the answer and is cited
    assert answer.answer.startswith("Hideyo Hanazumi"), answer.answer
    citation = answer.citations[0]
    text = pages.store.document_text(citation.doc_id)
    assert "Hideyo Hanazumi" in text[citation.start:citation.end]


def test_each_dated_question_of_the_group_gets_its_own_holder(pages):
    shorts = {}
    for asked, holder in (("Oct 2004 to Oct 2016", "Hirohiko Izumida"),
                          ("Oct 2016 to Apr 2018", "Ryuichi Yoneyama"),
                          ("Jun 2018 to Jun 2019", "Hideyo Hanazumi")):
        answer = pages.answers.answer(f"Who governed the Niigata Prefecture from {asked}?")
        shorts[holder] = answer.short_answer.text if answer.short_answer else None
    assert shorts == {h: h for h in shorts}, shorts
