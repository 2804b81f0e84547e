"""Refusal calibration: threshold fitting (pure) and the measuring pass on the real index."""

from eval.calibrate import Case, fit_threshold, measure, stats
from eval.dataset import QAItem


def test_stats_and_fit_on_known_cases():
    cases = [Case("a1", True, 0.7, False), Case("a2", True, 0.5, False),
             Case("a3", True, 0.3, False), Case("u1", False, 0.2, False),
             Case("u2", False, 0.4, False), Case("u3", False, 0.1, True)]
    s = stats(cases, 0.35)  # refuses a3 (wrongly), u1, u3 (model refusal) ; answers u2
    assert (s.precision, s.recall, s.false_refusal_rate) == (0.6667, 0.6667, 0.3333)
    # refusing below 0.5 catches every unanswerable case and one answerable one: J = 1 - 1/3,
    # the best any threshold does here
    assert fit_threshold(cases) == 0.5
    best = stats(cases, 0.5)
    assert (best.precision, best.recall, best.false_refusal_rate) == (0.75, 1.0, 0.3333)


def test_leaving_out_the_gold_documents_lowers_the_evidence(seeded):
    item = QAItem(id="q", question="Who led the interagency delegation to Mexico in February?",
                  answers=("Liz Sherwood-Randall",), doc_ids=("001_3b16739788f1550a.txt",),
                  answerable=True)
    with_gold, without_gold = measure(seeded, [item])
    assert with_gold.answerable and not without_gold.answerable
    assert without_gold.id == "q/no-gold"
    assert without_gold.relevance < with_gold.relevance
