import math

import pytest

from eval.metrics import (
    contains_gold,
    ndcg_at_k,
    normalize,
    percentile,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)


def test_recall_counts_distinct_documents():
    ranked = ["a", "a", "b", "c"]
    assert recall_at_k(ranked, ["b"], 1) == 0.0
    assert recall_at_k(ranked, ["b"], 2) == 1.0  # distinct docs: a, b
    assert recall_at_k(ranked, ["b", "z"], 5) == 0.5


def test_reciprocal_rank_by_hand():
    assert reciprocal_rank(["x", "x", "y", "g"], ["g"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], ["g"]) == 0.0


def test_ndcg_by_hand():
    # gold at distinct rank 2 of one gold doc: (1/log2(3)) / (1/log2(2))
    assert ndcg_at_k(["x", "g"], ["g"], 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["g", "h"], ["g", "h"], 10) == pytest.approx(1.0)


def test_answer_metrics_by_hand():
    assert normalize("The $191,000 Migrants!") == "191 000 migrants"
    assert contains_gold("They detained 191,000 migrants.", ["191,000"])
    assert not contains_gold("They detained many.", ["191,000"])
    # pred: "cat sat" ; gold: "the cat sat down" -> ref "cat sat down": P=1, R=2/3, F1=0.8
    assert token_f1("cat sat", ["the cat sat down"]) == pytest.approx(0.8)


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10


def test_citation_metrics_by_hand():
    from eval.metrics import citation_precision, citation_recall

    # three citations, two from gold documents: precision 2/3; gold {g, h}, only g cited: 1/2
    assert citation_precision(["g", "x", "g"], ["g", "h"]) == pytest.approx(2 / 3)
    assert citation_recall(["g", "x", "g"], ["g", "h"]) == 0.5
    assert citation_precision([], ["g"]) == 0.0


def test_refusal_scores_by_hand():
    from eval.metrics import refusal_scores

    # answerable: T T T F F ; refused: T F F T F
    # refused 2, of which 1 right -> precision 0.5; 2 unanswerable, 1 refused -> recall 0.5;
    # 3 answerable, 1 refused -> false rate 1/3
    out = refusal_scores([True, True, True, False, False], [True, False, False, True, False])
    assert out == {"precision": 0.5, "recall": 0.5, "false_rate": pytest.approx(1 / 3)}
    assert refusal_scores([True], [False]) == {"precision": None, "recall": None,
                                               "false_rate": 0.0}


def test_lexical_support_by_hand():
    from eval.metrics import lexical_support

    # tokens after normalising: "border", "closed", "friday" -> 2 of 3 in the evidence
    assert lexical_support("The border closed Friday.", "A border was closed.") == pytest.approx(2 / 3)
    assert lexical_support("", "anything") == 0.0


def test_answer_sentences_split_on_markers():
    from eval.support import answer_sentences

    text = "Mexico agreed to help. [1] It reopened two bridges [2][3] Then nothing."
    assert answer_sentences(text) == [("Mexico agreed to help.", (1,)),
                                      ("It reopened two bridges", (2, 3)),
                                      ("Then nothing.", ())]
    # a paper's own reference brackets do not end a sentence; a stray "." joins the sentence
    paper = "Birds are infected [4, 5] . [1] Bats carry it [2] . [2]"
    assert answer_sentences(paper) == [("Birds are infected [4, 5].", (1,)),
                                       ("Bats carry it.", (2, 2))]
