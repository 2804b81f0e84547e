"""The figures of a refusal gate over labelled cases (pure): refusal precision, recall and
false-refusal rate at a threshold, the threshold chosen (Youden's J or a false-refusal bound),
and ROC AUC. Used by fitting/calibrate.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Case:
    """One question in one condition: ``answerable`` is whether the index holds its answer;
    ``score`` is a gate's score of the evidence (refused below the gate's threshold)."""

    id: str
    answerable: bool
    score: float


@dataclass(frozen=True)
class RefusalStats:
    threshold: float
    precision: float | None
    recall: float | None
    false_refusal_rate: float | None
    answerable: int
    unanswerable: int


def stats(cases: Sequence[Case], threshold: float) -> RefusalStats:
    refused = [c for c in cases if c.score < threshold]
    right = [c for c in refused if not c.answerable]
    answerable = [c for c in cases if c.answerable]
    unanswerable = [c for c in cases if not c.answerable]
    false = [c for c in refused if c.answerable]
    return RefusalStats(
        threshold=round(threshold, 4),
        precision=round(len(right) / len(refused), 4) if refused else None,
        recall=round(len(right) / len(unanswerable), 4) if unanswerable else None,
        false_refusal_rate=round(len(false) / len(answerable), 4) if answerable else None,
        answerable=len(answerable), unanswerable=len(unanswerable))


def fit_threshold(cases: Sequence[Case]) -> float:
    """The threshold with the best refusal recall minus false-refusal rate (Youden's J); ties
    go to the lower threshold (fewer refusals)."""
    candidates = sorted({round(c.score, 4) for c in cases} | {-1.0})

    def j(t: float) -> float:
        s = stats(cases, t)
        return (s.recall or 0.0) - (s.false_refusal_rate or 0.0)

    return max(candidates, key=lambda t: (j(t), -t))


def threshold_for(cases: Sequence[Case], max_false_refusal: float | None) -> float:
    """Youden's J (``None``), or the highest threshold whose false-refusal rate stays within
    ``max_false_refusal`` (the most refusals a site that bounds false ones can have)."""
    if max_false_refusal is None:
        return fit_threshold(cases)
    candidates = sorted({round(c.score, 4) for c in cases} | {-1.0})
    within = [t for t in candidates
              if (stats(cases, t).false_refusal_rate or 0.0) <= max_false_refusal]
    return max(within)


def auc(cases: Sequence[Case]) -> float | None:
    """Probability that an answerable case scores above an unanswerable one (ties count half)."""
    pos = np.array([c.score for c in cases if c.answerable])
    neg = np.array([c.score for c in cases if not c.answerable])
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return round(float(greater / (len(pos) * len(neg))), 4)
