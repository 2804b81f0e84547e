"""The sentence selector of extractive answers: the rules no answer breaks, and the fitted
model choosing the sentence that states the answer over the real index and encoder."""

from __future__ import annotations

import numpy as np
import pytest

from rag.linear import LinearModel
from rag.selection import FEATURES, SentenceSelector, is_fragment
from rag.generators.extractive import ScoredSentence
from rag.types import Passage
from tests.helpers import ROOT

GOLD = ROOT / "eval" / "gold" / "sample_qa.jsonl"


@pytest.mark.parametrize("text,title", [
    ("Top Biden Administration Officials Meet Mexican President Amid Registered Immigrant "
     "Crossing", ""),  # a headline
    ("Border talks", ""),
    ("The Migrant Crisis At The Southern Border Of The United States", ""),
    ("US-Mexico border talks in Mexico City.", "US-Mexico border talks in Mexico City"),
    ("A 450-metre bridge with two lanes and a footpath.", ""),  # verbless
    # a measure's or a table's title: no final stop, no finite verb (a participle only)
    ("Percent of retirement claims processed within 60 days", ""),
    ("TABLE 7.03G PERFORMANCE MEASURE: Relative ratio of complete retirement submissions "
     "versus incomplete cases", ""),
])
def test_headings_titles_and_fragments_are_fragments(text, title):
    assert is_fragment(text, title)


@pytest.mark.parametrize("text", [
    "Border Patrol agents apprehended more than 191,000 migrants in November.",
    "The meeting lasted more than two hours, officials said.",
    "Brandon Johnson is the mayor of Chicago.",
    "Mexico agreed to reopen two rail crossings",  # cut at a chunk's end, still a clause
    "The office processed 70 percent of retirement claims within 60 days",  # a clause, no stop
    "The spike protein of the virus binds to the ACE2 receptor on the surface of human cells.",
])
def test_sentences_are_not_fragments(text):
    assert not is_fragment(text)


def _passage(n: int, doc: str, title: str = "T") -> Passage:
    return Passage(chunk_id=f"c{n}", doc_id=doc, title=title, text="", start=0, end=0,
                   score=0.5)


def _flat_model(weight_of_dense: float = 5.0) -> LinearModel:
    """A model that ranks by the question-sentence cosine alone (for testing the rules)."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("dense")] = weight_of_dense
    return LinearModel(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coef, -2.0)


def test_a_heading_never_opens_the_answer_even_when_it_scores_best():
    sentences = [
        ScoredSentence("Top Officials Meet Mexican President Amid Record Crossings", 1, 0, 0.9, 1.0),
        ScoredSentence("Border Patrol agents apprehended more than 191,000 migrants in November.",
                       1, 1, 0.6, 0.5),
    ]
    choice = SentenceSelector(_flat_model()).choose("How many migrants?", sentences,
                                                    [_passage(1, "a")])
    assert [sentences[i].text for i in choice.chosen] == [sentences[1].text]


def test_a_further_sentence_comes_only_from_the_best_ones_document_and_adds_content():
    q = "What did the officials agree on?"
    sentences = [
        ScoredSentence("The officials agreed to reopen two rail crossings in Texas.", 1, 0, 0.80,
                       0.5),
        ScoredSentence("Officials from both countries agreed to meet again in January.", 2, 1,
                       0.79, 0.5),  # another document: never added
        ScoredSentence("They also agreed to share data on smuggling routes every week.", 3, 2,
                       0.78, 0.5),  # the best one's document, new content: added
        ScoredSentence("The officials agreed to reopen two rail crossings in Texas, they said.",
                       3, 3, 0.78, 0.5),  # repeats the best one: not added
    ]
    passages = [_passage(1, "a"), _passage(2, "b"), _passage(3, "a")]
    choice = SentenceSelector(_flat_model(), add_ratio=0.9).choose(q, sentences, passages)
    assert choice.chosen == (0, 2)


def test_only_fragments_means_no_answer():
    sentences = [ScoredSentence("Border Talks In Mexico City", 1, 0, 0.9, 1.0)]
    choice = SentenceSelector(_flat_model()).choose("Where?", sentences, [_passage(1, "a")])
    assert choice.chosen == ()


def test_sample_answers_never_open_with_a_heading_and_stay_in_one_document(seeded):
    """Over the sample gold questions, with the bundled selector weights and the real index: no
    answer is a title or heading, and every further sentence cites the first one's document."""
    from eval.dataset import load_qa
    from rag.markers import marked_sentences

    answered = 0
    for item in load_qa(GOLD):
        if item.extra.get("history"):
            continue
        answer = seeded.answers.answer(item.question)
        if answer.refused:
            continue
        answered += 1
        # the exact answer (a typed question's entity) may open the text; then the sentences
        first = marked_sentences(answer.answer)[1 if answer.short_answer else 0][0]
        title = answer.citations[0].title
        assert not is_fragment(first, title), (item.id, answer.answer)
        assert len({c.doc_id for c in answer.citations}) == 1, (item.id, answer.answer)
    assert answered >= 20


def test_an_answer_quotes_a_pdf_row_whose_spacing_it_tidied():
    """A PDF's text may read "2 .6 .001 | ..." where the answer says "2.6.001 | ...": the quote
    is still found in its passage, at the passage's own offsets (rag.grounding)."""
    from rag.grounding import find_verbatim

    passage = "growth .\n\n2 .6 .001 | Performance Measure: OPM Leaders Lead score | FY 2022: 68"
    start, end = find_verbatim("2.6.001 | Performance Measure: OPM Leaders Lead score", passage)
    assert passage[start:end] == "2 .6 .001 | Performance Measure: OPM Leaders Lead score"
    assert find_verbatim("İstanbul office opened in 2019", "The İstanbul office opened in 2019.")
    assert find_verbatim("the meeting lasted three hours", "the meeting lasted two hours.") is None
