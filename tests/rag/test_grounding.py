"""Citation verification with the real bundled encoder: support, markers, drop/flag, spans."""

import pytest

from rag.types import Passage
from rag.markers import marked_sentences
from rag.grounding import CitationVerifier

BORDER = ("In November, Border Patrol agents apprehended more than 191,000 migrants who crossed "
          "the US-Mexico border illegally. The officials met in Mexico City on Wednesday.")
TRADE = "Mexico and the United States signed a trade agreement on avocados in March."


def passage(n: int, text: str) -> Passage:
    return Passage(chunk_id=f"d{n}.txt#abc#0", doc_id=f"d{n}.txt", title=f"T{n}", text=text,
                   start=0, end=len(text), score=0.5)


PASSAGES = [passage(1, BORDER), passage(2, TRADE)]


@pytest.fixture(scope="module")
def verifier(embedder):
    return CitationVerifier(embedder, mode="drop")


def test_marked_sentences_keep_markers_with_their_sentence():
    assert marked_sentences("A claim here [2]. Another one. [1] [3] Third [4] Fourth") == [
        ("A claim here.", [2]), ("Another one.", [1, 3]), ("Third", [4]), ("Fourth", [])]


def test_verbatim_sentence_is_supported_with_its_exact_span(verifier):
    result = verifier.verify("Border Patrol agents apprehended more than 191,000 migrants who "
                             "crossed the US-Mexico border illegally [1].", PASSAGES)
    [s] = result.sentences
    assert s.supported and [sup.passage for sup in s.supports] == [1]
    a, b = s.supports[0].span
    assert BORDER[a:b].startswith("Border Patrol agents") and BORDER[a:b].endswith("illegally.")


def test_paraphrase_is_supported_and_points_at_the_closest_sentence(verifier):
    result = verifier.verify("More than 191,000 migrants were apprehended by Border Patrol "
                             "agents in November [1].", PASSAGES)
    [s] = result.sentences
    assert s.supported
    a, b = s.supports[0].span
    assert "191,000" in BORDER[a:b] and "Mexico City" not in BORDER[a:b]


def test_invented_number_is_not_supported(verifier):
    result = verifier.verify("Border Patrol agents apprehended more than 250,000 migrants in "
                             "November [1].", PASSAGES)
    assert result.sentences == [] and len(result.dropped) == 1


def test_a_passage_does_not_support_its_facts_pinned_on_another_subject(verifier):
    # SmolLM2 wrote this from a bridge's passage when asked about a library: the words and the
    # numbers are the bridge's, the subject is not.
    bridge = passage(1, "The Zorblatt Bridge over the river Quell was completed in 1987 after six "
                        "years of work. The bridge is 450 metres long.")
    library = passage(2, "The Quell Valley library opened in 1992 and holds 40,000 books.")
    result = verifier.verify("The Quell Valley Library is a bridge that was completed in 1987 "
                             "after six years of work [1].", [bridge, library])
    assert result.sentences == [] and len(result.dropped) == 1
    # the same facts with the bridge's own name are supported, and a name in the title counts
    result = verifier.verify("The Zorblatt Bridge was completed in 1987 after six years of "
                             "work [1].", [bridge, library])
    assert [sup.passage for s in result.sentences for sup in s.supports] == [1]


def test_names_are_the_capitalised_words_a_sentence_asserts():
    from rag.grounding import names

    assert names("The Quell Valley Library is a bridge.") == {"quell", "valley", "library"}
    assert names("Brandon Johnson said the U.S. and Mexico's leaders met.") == {
        "brandon", "johnson", "us", "mexico"}
    assert names("In November, agents met.") == {"november"}


def test_markers_to_nothing_or_to_the_wrong_passage_are_removed(verifier):
    result = verifier.verify("Mexico and the United States signed a trade agreement on avocados "
                             "[1] [2] [7].", PASSAGES)
    [s] = result.sentences
    assert [sup.passage for sup in s.supports] == [2]
    assert result.removed_markers == 2
    assert result.text == "Mexico and the United States signed a trade agreement on avocados. [2]"


def test_uncited_but_supported_sentence_is_recited(verifier):
    result = verifier.verify("The officials met in Mexico City on Wednesday.", PASSAGES)
    [s] = result.sentences
    assert [sup.passage for sup in s.supports] == [1]


def test_unsupported_sentences_are_dropped_or_flagged(embedder):
    draft = "Border Patrol apprehended 191,000 migrants [1]. The moon is made of cheese [1]."
    dropped = CitationVerifier(embedder, mode="drop").verify(draft, PASSAGES)
    assert [s.text for s in dropped.sentences] == ["Border Patrol apprehended 191,000 migrants."]
    assert dropped.dropped == ["The moon is made of cheese."]
    flagged = CitationVerifier(embedder, mode="flag").verify(draft, PASSAGES)
    assert flagged.flagged == ["The moon is made of cheese."]
    assert [s.supported for s in flagged.sentences] == [True, False]
    assert "cheese." in flagged.text and flagged.supported_share == 0.5


class CountingEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, 0
        self.model_id, self.dimension, self.max_tokens = (inner.model_id, inner.dimension,
                                                          inner.max_tokens)

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)

    def tokenize(self, text):
        return self.inner.tokenize(text)


@pytest.mark.parametrize("draft", [
    "In November, Border Patrol agents apprehended more than 191,000 migrants who crossed the "
    "US-Mexico border illegally [1]. Mexico and the United States signed a trade agreement on "
    "avocados in March [2].",
    "The officials met in Mexico City on Wednesday [1][2] [7].",  # one named passage lacks it
    "Border Patrol agents apprehended more than 191,000 migrants [1]. A made-up claim here [2].",
])
def test_quoting_drafts_skip_the_encoder_with_the_same_verdicts(embedder, monkeypatch, draft):
    """When every sentence quotes each passage it cites, verification embeds nothing and gives
    exactly the verdicts of the full check; otherwise it runs the full check."""
    counting = CountingEmbedder(embedder)
    fast = CitationVerifier(counting, mode="flag").verify(draft, PASSAGES)
    quoting = all(m <= len(PASSAGES) and PASSAGES[m - 1].text.lower().find(c.lower()[:40]) >= 0
                  for c, ms in marked_sentences(draft) for m in ms)
    assert (counting.texts == 0) == quoting
    monkeypatch.setattr(CitationVerifier, "_verbatim_only", staticmethod(lambda *a: None))
    full = CitationVerifier(embedder, mode="flag").verify(draft, PASSAGES)
    assert fast == full
