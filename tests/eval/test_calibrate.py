"""The refusal gate's calibration: statistics and fitting (pure), the measuring pass on the real
index, and the answerability gate's weights file."""

import json

import numpy as np
import pytest

from eval.calibrate import Case, Measured, auc, fit_model, fit_threshold, measure, stats
from eval.dataset import QAItem
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
    assert model.names == FEATURES and 0 < model.extra["threshold"] < 1
    assert model.extra["calibration"]["fit_on"] != "sample"
    path = tmp_path / "w.json"
    data = json.loads(DEFAULT_WEIGHTS.read_text())
    path.write_text(json.dumps({**data, "features": ["dense"]}))
    with pytest.raises(ConfigError, match="refit"):
        load_weights(path)
    path.write_text(json.dumps({k: v for k, v in data.items() if k != "threshold"}))
    with pytest.raises(ConfigError, match="threshold"):
        load_weights(path)
