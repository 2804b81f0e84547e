"""The refusal gate's calibration: statistics and fitting (pure), the measuring pass on the real
index, and the answerability gate's weights file."""

import json

import numpy as np
import pytest

from eval.dataset import load_qa
from eval.dataset import QAItem
from fitting.calibrate import Measured, fit_model, measure, report
from fitting.refusal_stats import Case, auc, fit_threshold, stats
from fitting.swaps import CorpusWords, build_swaps, entity_pool
from index.errors import ConfigError
from rag.answerability import FEATURES, load_weights


def test_stats_and_fit_on_known_cases():
    cases = [Case("a1", True, 0.7), Case("a2", True, 0.5), Case("a3", True, 0.3),
             Case("u1", False, 0.2), Case("u2", False, 0.4), Case("u3", False, 0.1)]
    s = stats(cases, 0.35)  # refuses a3 (wrongly), u1, u3; answers u2
    assert (s.precision, s.recall, s.false_refusal_rate) == (0.6667, 0.6667, 0.3333)
    # refusing below 0.5 catches every unanswerable case and one answerable one: J = 1 - 1/3,
    # the best any threshold does here
    assert fit_threshold(cases) == 0.5
    best = stats(cases, 0.5)
    assert (best.precision, best.recall, best.false_refusal_rate) == (0.75, 1.0, 0.3333)
    # 8 of the 9 (answerable, unanswerable) pairs are ordered right: a3 < u2
    assert auc(cases) == round(8 / 9, 4)


def test_model_fit_is_class_balanced_and_learns_the_separating_feature():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(300, len(FEATURES)))
    labels = (rows[:, FEATURES.index("union_coverage")] > 0.8).astype(float)  # few answerable
    measured = Measured([str(i) for i in range(300)], labels, rows)
    model = fit_model(measured, l2=0.1)
    coef = dict(zip(FEATURES, model.coef))
    assert coef["union_coverage"] == max(coef.values())
    cases = measured.cases(model.score(rows))
    s = stats(cases, fit_threshold(cases))
    assert s.recall > 0.9 and s.false_refusal_rate < 0.1


def test_leaving_out_the_gold_documents_lowers_the_evidence(seeded):
    item = QAItem(id="q", question="Who led the interagency delegation to Mexico in February?",
                  answers=("Liz Sherwood-Randall",), doc_ids=("001_3b16739788f1550a.txt",),
                  answerable=True)
    measured = measure(seeded, [item])
    assert measured.ids == ["q", "q/no-gold"] and measured.labels.tolist() == [1.0, 0.0]
    assert measured.rows.shape == (2, len(FEATURES))
    with_gold, without_gold = measured.rows
    assert without_gold[FEATURES.index("sentence_dense")] < with_gold[
        FEATURES.index("sentence_dense")]


def test_refusal_weights_must_match_the_features_and_carry_a_threshold(tmp_path):
    from rag.answerability import DEFAULT_WEIGHTS

    model = load_weights(DEFAULT_WEIGHTS)  # the bundled file
    # the bundled file may use a subset of FEATURES, in their order (today: all but the
    # per-kind ones of rag.kind_needs)
    assert [n for n in FEATURES if n in model.names] == list(model.names)
    assert 0 < model.extra["threshold"] < 1
    assert model.extra["calibration"]["fit_on"] != "sample"
    path = tmp_path / "w.json"
    data = json.loads(DEFAULT_WEIGHTS.read_text())
    path.write_text(json.dumps({**data, "features": ["dense"]}))
    with pytest.raises(ConfigError, match="refit"):
        load_weights(path)
    swapped = [data["features"][1], data["features"][0], *data["features"][2:]]
    path.write_text(json.dumps({**data, "features": swapped}))  # out of FEATURES' order
    with pytest.raises(ConfigError, match="refit"):
        load_weights(path)
    path.write_text(json.dumps({k: v for k, v in data.items() if k != "threshold"}))
    with pytest.raises(ConfigError, match="threshold"):
        load_weights(path)


@pytest.fixture(scope="module")
def sample_swaps(corpus_dir):
    """Entity-swapped questions of the sample gold set, replacements from the corpus itself."""
    from fitting.calibrate import SAMPLE_QA
    from rag.factory import build_nlp

    nlp = build_nlp()
    items = load_qa(SAMPLE_QA)
    corpus = CorpusWords.of(corpus_dir)
    texts = [p.read_text(encoding="utf-8")[i:i + 2000] for p in sorted(corpus_dir.iterdir())
             for i in range(0, 8000, 2000)]
    return nlp, items, corpus, build_swaps(nlp, items, entity_pool(nlp, texts), corpus)


def test_a_swap_changes_exactly_one_entity_for_another_of_its_label(sample_swaps):
    nlp, items, corpus, swaps = sample_swaps
    by_id = {i.id: i for i in items}
    assert len(swaps) >= 15  # most answerable questions name something swappable
    assert len({s.item_id for s in swaps}) == len(swaps)
    for s in swaps:
        item = by_id[s.item_id]
        assert item.answerable and s.question == item.question
        assert s.question[s.start:s.end] == s.original
        # the same text around exactly one changed span
        assert s.swapped == s.question[:s.start] + s.replacement + s.question[s.end:]
        assert s.replacement.lower() != s.original.lower()
        before = {(e.text, e.label) for e in nlp.entities(s.question)[0]}
        after = {(e.text, e.label) for e in nlp.entities(s.swapped)[0]}
        assert (s.original, s.label) in before and (s.replacement, s.label) in after
        assert (s.replacement, s.label) not in before


def test_a_swap_is_unanswerable_against_the_corpus(sample_swaps):
    """The replacement is in no gold document, and in no document with the question's rarest
    other words."""
    from rag.answerability import content_words

    nlp, items, corpus, swaps = sample_swaps
    by_id = {i.id: i for i in items}
    for s in swaps:
        new = set(content_words(s.replacement))
        for doc in by_id[s.item_id].doc_ids:
            assert not new <= corpus.words[doc], (s.swapped, doc)
        others = sorted(set(content_words(s.question)) - set(content_words(s.original)),
                        key=lambda w: (-corpus.rarity(w), w))[:2]
        for doc, words in corpus.words.items():
            assert not (new <= words and set(others) <= words), (s.swapped, doc)


def test_the_report_gives_recall_per_kind_of_unanswerable_case():
    rows = np.zeros((6, len(FEATURES)))
    rows[:, 0] = [0.9, 0.8, 0.7, 0.1, 0.75, 0.2]
    measured = Measured(["a", "b", "c", "a/no-gold", "a/swap", "u"],
                        np.array([1.0, 1, 1, 0, 0, 0]), rows)
    assert measured.kinds == ["answerable"] * 3 + ["no-gold", "swapped", "unanswerable"]

    class Dense:  # scores by the first feature
        def score(self, x):
            return x[:, 0]

    out = report(measured, Dense(), 0.5, 0.5, 0.35)
    kinds = out["model"]["by_kind"]
    assert kinds["no-gold"]["recall"] == 1.0 and kinds["swapped"]["recall"] == 0.0
    assert kinds["unanswerable"]["recall"] == 1.0 and kinds["swapped"]["auc"] == round(2 / 3, 4)
    assert out["model"]["false_refusal_rate"] == 0.0


def test_the_gate_refuses_most_swapped_sample_questions(seeded, sample_swaps):
    """On the real sample index, with the bundled weights: at least half the swapped questions
    are refused (calibration measured 0.56 on the sample set), while their originals are
    mostly answered."""
    nlp, items, corpus, swaps = sample_swaps
    refused = [seeded.answers.answer(s.swapped).refused for s in swaps]
    kept = [not seeded.answers.answer(s.question).refused for s in swaps]
    assert sum(refused) / len(swaps) >= 0.5
    assert sum(kept) / len(swaps) >= 0.8
    # the refusals are mostly the swap's doing: swapped questions are refused at least twice as
    # often as their originals, and over a third are refused where the original is answered
    assert sum(refused) >= 2 * (len(swaps) - sum(kept))
    assert sum(r and k for r, k in zip(refused, kept)) >= 0.35 * len(swaps)
