"""The leave-one-set-out protocol of the refusal gate (fitting.cross_set), on synthetic sets:
pooled weights, the threshold and hard flags chosen on the fit sets, and that nothing is fitted
on the set reported."""

import numpy as np

from fitting import cross_set
from fitting.calibrate import Measured
from fitting.cross_set import (TaggedSet, choose_hard, choose_threshold, evaluate, fit_pooled,
                               leave_one_out, markdown, set_weights, summary, type_group)
from rag.answerability import FEATURES
from rag.linear import LinearModel


def _set(name: str, n: int, shift: float, seed: int, unanswerable_kinds=("no-gold",)
         ) -> TaggedSet:
    """n answerable cases and n per unanswerable kind; union_coverage separates them."""
    rng = np.random.default_rng(seed)
    kinds = ["answerable"] * n + [k for k in unanswerable_kinds for _ in range(n)]
    labels = np.array([1.0 if k == "answerable" else 0.0 for k in kinds])
    rows = rng.normal(size=(len(kinds), len(FEATURES))) * 0.3
    rows[:, FEATURES.index("union_coverage")] += labels * 2 + shift
    for flag in cross_set.HARD_CANDIDATES:
        rows[:, FEATURES.index(flag)] = 0.0
    ids = [f"{name}-{i}" for i in range(len(kinds))]
    qkinds = ["procedure" if i % 2 else "factoid" for i in range(len(kinds))]
    return TaggedSet(name, Measured(ids, labels, rows, kinds, ["q"] * len(kinds)), qkinds,
                     ["date"] * len(kinds))


def test_every_set_weighs_the_same_and_its_two_classes_half_each():
    big = _set("big", 100, 0.0, 1, ("no-gold", "swapped")).measured
    small = _set("small", 10, 0.0, 2).measured
    w = set_weights([big, small])
    big_w, small_w = w[:300], w[300:]
    assert np.isclose(big_w.sum(), small_w.sum())
    assert np.isclose(big_w[:100].sum(), big_w[100:].sum())
    # the two unanswerable kinds share their half evenly
    assert np.isclose(big_w[100:200].sum(), big_w[200:].sum())


def test_threshold_keeps_the_mean_false_refusal_within_the_bound():
    sets = [_set("a", 100, 0.0, 1).measured, _set("b", 100, 0.5, 2).measured]
    model = fit_pooled(sets, cross_set.BASE, 1.0, 0.05, 0.02)
    t = choose_threshold(sets, model, 0.05)
    assert t == model.extra["threshold"]
    from rag.answerability import gate_scores

    rates = [float((gate_scores(model, m.rows)[m.labels == 1] < t).mean()) for m in sets]
    assert np.mean(rates) <= 0.05


def test_a_flag_is_hard_only_when_answerable_cases_rarely_raise_it():
    a, b = _set("a", 100, 0.0, 1).measured, _set("b", 100, 0.0, 2).measured
    date = FEATURES.index("date_missing")
    a.rows[:3, date] = 1.0  # 3 % of a's answerable cases, 0 % of b's: mean 1.5 %
    assert "date_missing" in choose_hard([a, b], 0.02)
    a.rows[:10, date] = 1.0  # mean 5 %
    assert "date_missing" not in choose_hard([a, b], 0.02)


def test_leave_one_out_fits_nothing_on_the_set_it_reports(monkeypatch):
    data = [_set("a", 40, 0.0, 1), _set("b", 40, 0.3, 2), _set("c", 40, -0.3, 3)]
    fitted_on: list[set[int]] = []
    real = cross_set.fit_pooled

    def spy(sets, *args):
        fitted_on.append({id(m) for m in sets})
        return real(sets, *args)

    monkeypatch.setattr(cross_set, "fit_pooled", spy)
    report = leave_one_out(data, cross_set.BASE, 1.0, 0.05, 0.02)
    assert list(report) == ["a", "b", "c"]
    for held, used in zip(data, fitted_on):
        assert id(held.measured) not in used and len(used) == 2
    figures = report["a"]
    assert figures["all"]["recall"] > 0.8 and figures["all"]["false_refusal"] <= 0.2
    assert set(figures["kind"]) == {"procedure", "factoid"}
    assert set(figures["case"]) == {"no-gold"}
    assert summary(report)["mean_recall"] > 0.8


def test_evaluate_splits_by_kind_and_markdown_has_every_set():
    data = _set("a", 20, 0.0, 1)
    model = LinearModel(("union_coverage",), np.zeros(1), np.ones(1), np.array([5.0]), -2.5,
                        {"threshold": 0.5, "hard": []})
    out = evaluate(data, model)
    assert out["all"]["answerable"] == 20 and out["all"]["unanswerable"] == 20
    assert out["kind"]["procedure"]["answerable"] == 10
    text = markdown({"today": {"a": out}, "per_kind": {"a": out}})
    assert "| a | 20+20 |" in text and "procedure" in text and "no-gold" in text


def test_answer_type_groups():
    assert type_group("date", True) == "date" and type_group("time", True) == "date"
    assert type_group("money", True) == "figure" and type_group("person", True) == "person"
    assert type_group("place", True) == "typed" and type_group("reason", False) == "untyped"
