"""The answering path end to end: real model, real Chroma, extractive generator."""

import re

import pytest

from index.errors import InputError
from rag.types import AskOptions

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def test_november_question_is_answered_with_191000_and_cited(seeded):
    answer = seeded.answers.answer(NOVEMBER)
    assert not answer.refused
    assert "191,000" in answer.answer
    assert {c.doc_id for c in answer.citations} & {"002_696000928d11651b.txt",
                                                   "004_e904c1ee689fa2a3.txt"}
    # the sentence with the number is followed by a marker of a passage that contains it
    m = re.search(r"191,000[^\[]*\[(\d+)\]", answer.answer)
    assert m
    cited = answer.citations[int(m.group(1)) - 1]
    assert "191,000" in cited.text


def test_every_marker_points_at_a_listed_citation(seeded):
    for q in [NOVEMBER, "Who led the interagency delegation to Mexico in February?",
              "What did Lopez Obrador propose about Venezuela and Cuba?"]:
        answer = seeded.answers.answer(q)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
        assert markers == {c.n for c in answer.citations}
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_citation_spans_index_the_document(seeded, corpus_dir):
    answer = seeded.answers.answer(NOVEMBER)
    for c in answer.citations:
        original = (corpus_dir / c.doc_id).read_text(encoding="utf-8")
        assert 0 <= c.start < c.end <= len(original)
        assert original[c.start:c.end].startswith(c.text[:20])


@pytest.mark.parametrize("question", ["What is the capital of Canada?",
                                      "What is a good recipe for lasagna?"])
def test_unanswerable_questions_are_refused(seeded, question):
    answer = seeded.answers.answer(question)
    assert answer.refused
    assert answer.citations == []
    assert "do not contain" in answer.answer


def test_bad_questions_get_clear_errors(seeded):
    with pytest.raises(InputError, match="empty"):
        seeded.answers.answer("   ")
    with pytest.raises(InputError, match="limit is 2000"):
        seeded.answers.answer("why " * 600)


def test_top_k_option_limits_passages(seeded):
    answer = seeded.answers.answer(NOVEMBER, options=AskOptions(top_k=1))
    assert len(answer.citations) <= 1


def test_stream_yields_pieces_then_the_answer(seeded):
    from rag.answer_service import StreamDelta, StreamDone

    events = list(seeded.answers.stream(NOVEMBER))
    assert isinstance(events[-1], StreamDone)
    text = "".join(e.text for e in events if isinstance(e, StreamDelta))
    assert text == events[-1].answer.answer
