"""The refusal gate's features (pure: no encoder) and the gate on the real sample index."""

import numpy as np
import pytest

from rag.answerability import (FEATURES, NLP_FEATURES, NLP_NEUTRAL, ThresholdGate, dates,
                               features, gate_scores, names_found)
from rag.generators.extractive import ScoredSentence
from rag.types import Passage


def _terms(text: str) -> list[str]:
    return [w.strip(".,?").lower() for w in text.split() if len(w.strip(".,?")) > 3]


def _idf(terms):
    return {t: (3.0 if t in {"quell", "books", "october"} else 1.0) for t in terms}


LIBRARY = Passage("l#0", "library.txt", "The Quell Valley Library",
                  "The library opened in 1992 and holds 40,000 books. It closed in March 2020.",
                  0, 80, 0.6)


def row(question: str, sentence: str, dense: float = 0.6) -> dict[str, float]:
    scored = [ScoredSentence(sentence, 1, 0, dense, 0.5)]
    return dict(zip(FEATURES, features(question, scored, [LIBRARY], _terms, _idf)))


def test_features_measure_what_the_question_asks_against_the_evidence():
    held = row("How many books does the Quell Valley library hold?",
               "The library opened in 1992 and holds 40,000 books.")
    assert held["union_coverage"] > 0.7  # all but "many", "does", "hold" (not "holds")
    assert held["rarest_found"] == 1.0 and held["number_gap"] == 0.0
    assert held["names_any"] == 1.0 and held["dates_found"] == 1.0  # the title holds the names
    # a month the corpus never mentions, a name it does not hold, a count with no number
    missing = row("How many visitors came to the Zorblatt museum in October?",
                  "It closed in March 2020 after a long dispute with the town.")
    assert missing["dates_found"] == 0.0 and missing["names_any"] == 0.0
    assert missing["rarest_found"] == 0.0 and missing["union_coverage"] < 0.5
    no_number = row("How many books does the library hold?", "The library is well loved.")
    assert no_number["number_gap"] == 1.0


@pytest.fixture(scope="module")
def nlp():
    from rag.factory import build_nlp

    return build_nlp()  # the real spaCy pipeline the service shares


def typed_row(nlp, question: str, *sentences: str) -> dict[str, float]:
    passage = Passage("p#0", "p.txt", "", " ".join(sentences), 0, 100, 0.6)
    scored = [ScoredSentence(t, 1, i, 0.6, 0.5) for i, t in enumerate(sentences)]
    return dict(zip(FEATURES, features(question, scored, [passage], _terms, _idf, nlp)))


def test_typed_entity_is_an_expected_label_the_question_does_not_name(nlp):
    question = "Who founded the Quell Valley Library?"
    held = typed_row(nlp, question, "The Quell Valley Library was founded by Margaret Thornton "
                     "in 1992.")
    assert held["typed_entity"] == 1.0
    # a person is asked for; the sentence names only a date and the library itself
    none = typed_row(nlp, question, "The Quell Valley Library was founded in 1992.")
    assert none["typed_entity"] == 0.0
    # a date asked for: a year is a candidate, the question's own year is not
    assert typed_row(nlp, "When did the library move after 1992?",
                     "The library moved in March 2005.")["typed_entity"] == 1.0
    assert typed_row(nlp, "When did the library move after 1992?",
                     "The library opened in 1992 and moved later.")["typed_entity"] == 0.0
    # an untyped question: nothing is missing
    assert typed_row(nlp, "Why did the library close?",
                     "It closed for lack of funds.")["typed_entity"] == 1.0


def test_attribute_stated_is_the_asked_noun_near_a_candidate(nlp):
    question = "What was the budget of the Quell Valley Library in 2020?"
    stated = typed_row(nlp, question, "In 2020 the library's budget was $4.2 million.")
    assert stated["attribute_stated"] == 1.0 and stated["typed_entity"] == 1.0
    # money in the sentence, but not the budget: another attribute
    other = typed_row(nlp, question, "In 2020 the library's new roof cost $4.2 million.")
    assert other["attribute_stated"] == 0.0 and other["typed_entity"] == 1.0
    pop = "What is the population of Quell Valley?"
    assert typed_row(nlp, pop, "Quell Valley has a population of 12,400 people.")[
        "attribute_stated"] == 1.0
    assert typed_row(nlp, pop, "Quell Valley covers 12,400 hectares of farmland.")[
        "attribute_stated"] == 0.0


def test_question_entities_must_be_in_the_evidence(nlp):
    question = "Who founded the library in Quell Valley in 1992?"
    same = typed_row(nlp, question, "Margaret Thornton founded the library in Quell Valley "
                     "in 1992.")
    assert same["entities_sentence"] == 1.0 and same["entities_passage"] == 1.0
    swapped = typed_row(nlp, "Who founded the library in Brookfield in 1992?",
                        "Margaret Thornton founded the library in Quell Valley in 1992.")
    assert swapped["entities_sentence"] < 1.0 and swapped["entities_passage"] < 1.0


def test_figure_missing_when_a_figure_is_asked_and_none_of_its_kind_is_stated(nlp):
    count = "How many books does the Quell Valley library hold?"
    assert typed_row(nlp, count, "The library holds 40,000 books.")["figure_missing"] == 0.0
    assert typed_row(nlp, count, "The library opened in 1992 on Main Street.")[
        "figure_missing"] == 1.0  # a year is no count
    measure = "How many kilometres long is the Quell river?"
    assert typed_row(nlp, measure, "The Quell runs 212 kilometers to the sea.")[
        "figure_missing"] == 0.0
    assert typed_row(nlp, measure, "Some 12,400 people live along the Quell.")[
        "figure_missing"] == 1.0  # a figure, of another unit
    # other kinds are the model's business, not this rule's
    assert typed_row(nlp, "Who founded the library?", "It opened in 1992.")[
        "figure_missing"] == 0.0


def test_the_gate_refuses_a_missing_figure_whatever_the_model_says():
    class Model:  # a model that would answer everything
        def score(self, rows):
            return np.full(len(rows), 0.99)

    rows = np.zeros((2, len(FEATURES)))
    rows[1, FEATURES.index("figure_missing")] = 1.0
    assert gate_scores(Model(), rows).tolist() == [0.99, 0.0]


def test_a_nationality_counts_as_its_country_in_the_evidence():
    forms = {"united", "states", "mexico", "canada", "mayor", "johnson"}
    assert names_found({"mexican", "canadian"}, forms) == 2
    assert names_found({"american"}, forms) == 0  # no country table: "United States" is missed
    assert names_found({"mayorkas"}, forms) == 0  # only nationality words stretch


def test_without_nlp_the_typing_features_are_neutral():
    values = row("Who founded the library?", "The library opened in 1992.")
    assert [values[n] for n in NLP_FEATURES] == list(NLP_NEUTRAL)
    assert values["figure_missing"] == 0.0  # never a refusal for want of a pipeline


def test_dates_are_months_and_years_not_lookalike_words():
    assert dates("Apprehensions in Oct. 2023 and in September") == {"oct", "2023", "sep"}
    assert dates("May I ask about the decision on the novel by the mayor?") == set()
    assert dates("It was signed on May 5.") == {"may"}


def test_threshold_gate_scores_the_best_sentence_cosine():
    scored = [ScoredSentence("a b c d", 1, 0, 0.3, 0.0), ScoredSentence("e f g h", 1, 1, 0.7, 0.0)]
    gate = ThresholdGate(0.5)
    assert gate.score("q", scored, [LIBRARY]) == 0.7 and gate.threshold == 0.5
    assert gate.score("q", [], []) == -1.0


def test_the_model_gate_separates_the_sample_questions(seeded):
    """On the real sample index: an answerable question scores above the fitted threshold, the
    same question without its gold documents and an off-corpus one below it."""
    from rag.types import AskOptions

    gold = "001_3b16739788f1550a.txt"
    asked = seeded.answers.answer("Who led the interagency delegation to Mexico in February?")
    assert not asked.refused and asked.relevance is not None
    without = seeded.answers.answer("Who led the interagency delegation to Mexico in February?",
                                    options=AskOptions(exclude_doc_ids=frozenset({gold})))
    off = seeded.answers.answer("What is the boiling point of liquid nitrogen?")
    assert off.refused and without.relevance is not None and off.relevance is not None
    assert max(without.relevance, off.relevance) < asked.relevance
    assert np.isfinite([asked.relevance, without.relevance, off.relevance]).all()


def test_the_model_gate_refuses_an_entity_swapped_question(seeded):
    """The documents stay on topic (Chicago's mayor and migrants), but the corpus names no
    Honduran mayor: the swapped question is refused, the original answered."""
    original = seeded.answers.answer(
        "Which Chicago mayor warned that the city was running out of room for migrants?")
    swapped = seeded.answers.answer(
        "Which Honduras mayor warned that the city was running out of room for migrants?")
    assert not original.refused and swapped.refused
    assert swapped.relevance is not None and original.relevance is not None
    assert swapped.relevance < original.relevance


def test_a_weights_file_names_its_hard_flags_and_may_use_a_subset_of_the_features():
    from rag.linear import LinearModel

    model = LinearModel(("union_coverage",), np.zeros(1), np.ones(1), np.array([4.0]), 0.0,
                        {"hard": ["date_missing"]})
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("union_coverage")] = 1.0
    rows[1, FEATURES.index("date_missing")] = 1.0
    rows[2, FEATURES.index("figure_missing")] = 1.0  # not in this file's list
    scores = gate_scores(model, rows)
    assert scores[1] == 0.0 and scores[0] == scores[2] > 0.9


def test_kind_features_need_an_entity_tied_to_the_subject():
    from rag.generators.extractive import ScoredSentence
    from rag.kind_needs import KIND_FEATURES, kind_features
    from rag.question_typing import AnswerType, Entity

    def words(text):
        return tuple(text.lower().replace(".", "").split())

    def sentence(text):
        return ScoredSentence(text=text, passage=1, order=0, dense=0.5, lexical=0.5)

    when = AnswerType("date")
    year = Entity("1992", "DATE", 0, 4, 0, 1)
    tied = dict(zip(KIND_FEATURES, kind_features(
        "factoid", when, [sentence("The library opened in 1992.")], [[year]], {"library"}, 0.5,
        False, words)))
    assert tied["typed_tied"] == 1.0 and tied["date_missing"] == 0.0 and tied["open_kind"] == 0
    other = dict(zip(KIND_FEATURES, kind_features(
        "factoid", when, [sentence("The museum opened in 1992.")], [[year]], {"library"}, 0.5,
        False, words)))
    assert other["typed_tied"] == 0.0  # a date, but of another subject
    none = dict(zip(KIND_FEATURES, kind_features(
        "factoid", when, [sentence("The library is open late.")], [[]], {"library"}, 0.5, False,
        words)))
    assert none["date_missing"] == 1.0 and none["typed_tied"] == 0.0
    steps = dict(zip(KIND_FEATURES, kind_features(
        "procedure", AnswerType("other"), [sentence("Open the client.")], [[]], {"vpn"}, 0.8,
        True, words)))
    assert (steps["open_kind"], steps["steps_given"], steps["open_coverage"],
            steps["typed_tied"]) == (1.0, 1.0, 0.8, 1.0)
