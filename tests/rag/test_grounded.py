"""Grounded answers end to end (extractive default): spans, verification, follow-ups, HTTP."""

import re

import httpx

from rag.types import Turn

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
QUESTIONS = [NOVEMBER, "Who led the interagency delegation to Mexico in February?",
             "What did Lopez Obrador propose about Venezuela and Cuba?"]


def _words(text: str) -> list[str]:
    """Words of ``text`` without inline markup (the sample documents underline with <u>)."""
    return re.findall(r"\w+", re.sub(r"</?\w+>", " ", text).lower())


def test_every_citation_carries_supporting_spans_in_document_offsets(seeded, corpus_dir):
    for q in QUESTIONS:
        answer = seeded.answers.answer(q)
        assert not answer.refused and answer.verification.checked >= 1
        for c in answer.citations:
            original = (corpus_dir / c.doc_id).read_text(encoding="utf-8")
            assert c.spans
            for span in c.spans:
                assert c.start <= span.start < span.end <= c.end
                # the document's own characters, up to whitespace and markup, are the span text
                assert _words(original[span.start:span.end]) == _words(span.text)
                # and the answer quotes what the span says
                assert span.text[:30].lower() in answer.answer.lower()


def test_answer_sentences_are_each_cited_and_supported(seeded):
    answer = seeded.answers.answer(NOVEMBER)
    sentences = re.split(r"(?<=\])\s+", answer.answer)
    assert all(re.search(r"\[\d+\]$", s) for s in sentences)
    assert answer.verification.dropped == () and answer.verification.fallback is False


def test_follow_up_is_rewritten_before_retrieval(seeded):
    history = [Turn("user", "Who led the interagency delegation to Mexico in February?"),
               Turn("assistant", "Dr. Liz Sherwood-Randall [1].")]
    answer = seeded.answers.answer("and what was discussed?", history)
    assert answer.standalone_question == \
        "Who led the interagency delegation to Mexico in February, what was discussed?"
    assert not answer.refused
    assert any(c.doc_id == "001_3b16739788f1550a.txt" for c in answer.citations)


def test_ask_over_http_returns_spans_verification_and_standalone_question(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["standalone_question"] == NOVEMBER
    assert body["verification"]["checked"] >= 1 and body["verification"]["dropped"] == []
    # relevance is the refusal gate's score: the answerability model's, above its threshold
    from rag.answerability import DEFAULT_WEIGHTS, load_weights

    assert load_weights(DEFAULT_WEIGHTS).extra["threshold"] <= body["relevance"] <= 1.0
    span = body["citations"][0]["spans"][0]
    assert {"start", "end", "text", "support"} <= set(span)
    assert "191,000" in " ".join(s["text"] for c in body["citations"] for s in c["spans"])
