"""A yes/no question about two subjects at once ("Are X and Y both ...", "... the same ...") is
decided from one sentence per subject (rag.shapes.pairs reads the question, rag.shapes.yes_no
decides): the parse with the real spaCy tags, the decision over built inputs, and the whole
pipeline (real encoder, spaCy, Chroma) over hotpotqa_dev500's pages, where a sentence about one
of the two subjects used to decide the question alone ("Yes." because one airport of two is in
Michigan)."""

from __future__ import annotations


import pytest
from hypothesis import given, settings, strategies as st

from rag.generators.extractive import ScoredSentence
from rag.question_typing import Nlp
from rag.shapes import QuestionKind, ShapeInput, yes_no
from rag.shapes.pairs import pair_of
from rag.types import Passage
from tests.helpers import SHARED, pipeline_over_pages


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return Nlp()


@pytest.mark.parametrize("question, x, y, attribute, same", [
    ("Are both Elko Regional Airport and Gerald R. Ford International Airport located in "
     "Michigan?", "Elko Regional Airport", "Gerald R. Ford International Airport",
     "located in Michigan", False),
    ("Were Scott Derrickson and Ed Wood of the same nationality?", "Scott Derrickson",
     "Ed Wood", "nationality", True),
    ("Do the drinks Gibson and Zurracapote both contain gin?", "Gibson", "Zurracapote",
     "contain gin", False),
    ("Are both Jim McBride and Neil Jordan American?", "Jim McBride", "Neil Jordan", "American",
     False),
    ("Are both Adolfo Bioy Casares and James Norman Hall Argentinian authors?",
     "Adolfo Bioy Casares", "James Norman Hall", "Argentinian authors", False),
    ("Were both the Battle of Stones River and the Battle of the Ch'ongch'on River fought in "
     "the 19th century?", "Battle of Stones River", "Battle of the Ch'ongch'on River",
     "fought in the 19th century", False),
    ("Can contractors and interns both use the VPN?", "contractors", "interns", "use the VPN",
     False),
    ("Do the Basic plan and the Pro plan both include SSO?", "Basic plan", "Pro plan",
     "include SSO", False),
    ("Are annual leave and sick leave paid at the same rate?", "annual leave", "sick leave",
     "rate", True),
])
def test_the_two_subjects_and_the_attribute(nlp, question, x, y, attribute, same):
    pair = pair_of(nlp.question_tags(question))
    assert pair is not None
    assert (pair.x, pair.y, pair.attribute, pair.same) == (x, y, attribute, same)


def test_the_key_drops_the_attributes_verbs_and_different_turns_same_around(nlp):
    pair = pair_of(nlp.question_tags("Are Ganzhou and Jimo District both located in China?"))
    assert pair is not None and pair.key == "in China"
    pair = pair_of(nlp.question_tags("Do The Importance of Being Icelandic and The Five "
                                     "Obstructions belong to different film genres?"))
    assert pair is not None and pair.same and pair.different and pair.relation == "belong to"


@pytest.mark.parametrize("question", [
    "Is it possible to roll back a release?",
    "Can I roll back and restore a release?",
    "Does the policy cover contractors?",
    "Can I work from home every day?",
    # the two together, or one subject's two aspects: no question about each
    "Do carageenan and Zanamivir delivered intranasally have a benefit when taken for influenza?",
    "Is the origin and epidemiology of the 1918 swine flu (Spanish Influenza) known?",
    "Are both the the?",
])
def test_questions_about_one_subject_have_no_pair(nlp, question):
    assert pair_of(nlp.question_tags(question)) is None


POLICY = ("# Remote access\n\nContractors may use the VPN from a managed laptop. Interns may use "
          "the VPN after their first week. Visitors get the guest network only.\n\n"
          "# Leave\n\nAnnual leave is paid at the full rate. Sick leave is paid at the full rate "
          "for ten days. Unpaid leave is paid at no rate.\n")


def _input(nlp: Nlp, question: str, sentences: list[str]) -> ShapeInput:
    passage = Passage("c0", "policy.md", "Policy", POLICY, 0, len(POLICY), 0.5)
    scored = [ScoredSentence(s, 1, i, 1.0 - i / 10, 0.5) for i, s in enumerate(sentences)]
    kind = QuestionKind("yes_no", pair=pair_of(nlp.question_tags(question)))
    return ShapeInput(question, kind, [passage], scored,
                      entities=lambda text: nlp.entities(text)[0])


def test_both_hold_the_attribute_each_in_its_own_sentence_cited(nlp):
    shaped = yes_no.build(_input(nlp, "Can contractors and interns both use the VPN?", [
        "Contractors may use the VPN from a managed laptop.",
        "Interns may use the VPN after their first week."]))
    assert shaped is not None and shaped.verdict == "yes"
    assert [p.label for p in shaped.pieces] == ["contractors", "interns"]
    assert shaped.text.startswith("Yes.\ncontractors: Contractors may use the VPN")
    for p in shaped.pieces:
        assert POLICY[p.start:p.end] == p.text


def test_one_holds_it_and_the_others_sentences_do_not(nlp):
    shaped = yes_no.build(_input(nlp, "Can contractors and visitors both use the VPN?", [
        "Contractors may use the VPN from a managed laptop.",
        "Visitors get the guest network only."]))
    assert shaped is not None and shaped.verdict == "no"
    assert shaped.text.startswith("No.\n")
    assert len(shaped.pieces) == 2


def test_a_sentence_about_one_subject_never_decides_alone(nlp):
    """Before the two-sided rule, "Contractors may use the VPN" answered "Yes." alone."""
    shaped = yes_no.build(_input(nlp, "Can contractors and auditors both use the VPN?", [
        "Contractors may use the VPN from a managed laptop."]))
    assert shaped is not None and shaped.verdict is None
    assert "The documents say nothing of auditors." in shaped.text


def test_the_same_value_read_beside_each_attributes_noun(nlp):
    same = yes_no.build(_input(nlp, "Are annual leave and sick leave paid at the same rate?", [
        "Annual leave is paid at the full rate.",
        "Sick leave is paid at the full rate for ten days."]))
    assert same is not None and same.verdict == "yes"
    differ = yes_no.build(_input(nlp, "Are annual leave and unpaid leave paid at the same "
                                      "rate?", ["Annual leave is paid at the full rate.",
                                                "Unpaid leave is paid at no rate."]))
    assert differ is not None and differ.verdict == "no"


PAGES = ("Elko_Regional_Airport_a7e96f43.txt", "Gerald_R_Ford_International_Airport_0e20760b.txt",
         "Thalictrum_ba9cc4d9.txt", "Parodia_9d6d6d82.txt", "Tony_Gatlif_c271755f.txt",
         "David_O_Russell_148b12d3.txt")


@pytest.fixture(scope="module")
def pages(tmp_path_factory, embedder):
    return pipeline_over_pages(tmp_path_factory, embedder,
                               SHARED / "benchmarks" / "hotpotqa_dev500" / "corpus", PAGES,
                               "pairs")


@pytest.mark.slow
@pytest.mark.parametrize("question, verdict, sides", [
    ("Are both Elko Regional Airport and Gerald R. Ford International Airport located in "
     "Michigan?", "no", ("Elko_Regional_Airport", "Gerald_R_Ford")),
    ("Are both Parodia and Thalictrum flowering plants?", "yes", ("Parodia", "Thalictrum")),
    ("Are David O. Russell and Tony Gatlif from the same country?", "no",
     ("David_O_Russell", "Tony_Gatlif")),
])
def test_the_pipeline_decides_from_a_sentence_of_each_subject(pages, question, verdict, sides):
    answer = pages.answers.answer(question)
    assert not answer.refused, answer.answer
    assert answer.shape is not None and answer.shape.kind == "yes_no", answer.answer
    assert answer.shape.verdict == verdict, answer.answer
    assert answer.answer.startswith(f"{verdict.capitalize()}."), answer.answer
    cited = [c.doc_id for c in answer.citations]
    for side in sides:
        assert any(d.startswith(side) for d in cited), (side, cited)


def test_an_attribute_without_key_terms_gives_no_two_sided_verdict(nlp):
    """Nothing to look for in the subjects' sentences: no verdict from them (before, every
    sentence "held" the empty attribute and the answer was "Yes")."""
    inp = _input(nlp, "Are contractors and interns both there?", [
        "Contractors may use the VPN from a managed laptop.",
        "Interns may use the VPN after their first week."])
    assert inp.kind.pair is not None
    assert yes_no.two_sided(inp, inp.kind.pair) is None


_WORDS = st.sampled_from(["Are", "Is", "both", "the", "and", "same", "Paris", "London", "of",
                          "plans", "Pro", "?", "different", "New", "York", "each", "-", "'s"])
_TAGS = st.sampled_from(["VBP", "DT", "CC", "JJ", "NNP", "NN", "NNS", "IN", ".", "HYPH", "VB"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_WORDS, _TAGS), max_size=12))
def test_any_tagged_question_parses_without_error(tagged):
    """A user can type anything: the parse gives a pair or None, never an error."""
    pair = pair_of(tagged)
    assert pair is None or (pair.x and pair.y and pair.attribute)
