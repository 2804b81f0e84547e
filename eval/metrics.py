"""Metric functions: pure, each checked by hand in tests/test_metrics.py."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}‘’“”]")


def _unique(ranked: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for d in ranked:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def recall_at_k(ranked_doc_ids: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Share of gold documents among the first ``k`` distinct retrieved documents."""
    if not gold:
        return 0.0
    top = set(_unique(ranked_doc_ids)[:k])
    return len(top & set(gold)) / len(set(gold))


def hit_at_k(ranked_doc_ids: Sequence[str], gold: Sequence[str], k: int) -> float:
    """1.0 when a gold document is among the first ``k`` distinct retrieved documents ("the right
    document first" at k = 1), else 0.0."""
    return float(bool(set(_unique(ranked_doc_ids)[:k]) & set(gold)))


def reciprocal_rank(ranked_doc_ids: Sequence[str], gold: Sequence[str]) -> float:
    """1 / rank of the first gold document among distinct retrieved documents (0 if none)."""
    for i, d in enumerate(_unique(ranked_doc_ids), start=1):
        if d in gold:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked_doc_ids: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Binary-relevance nDCG over distinct documents."""
    gold_set = set(gold)
    if not gold_set:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1)
              for i, d in enumerate(_unique(ranked_doc_ids)[:k], start=1) if d in gold_set)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold_set), k) + 1))
    return dcg / ideal


def normalize(text: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze spaces (SQuAD-style)."""
    text = _PUNCT.sub(" ", text.lower())
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_gold(answer: str, golds: Sequence[str]) -> bool:
    norm = normalize(answer)
    return any(normalize(g) and normalize(g) in norm for g in golds)


def contains_all_gold(answer: str, golds: Sequence[str]) -> bool:
    """Every gold string is in the answer (normalised): for a list or trend question, whose gold
    strings are the items ("Screening", "FY 2018: 58.6"), not alternatives."""
    norm = normalize(answer)
    items = [normalize(g) for g in golds if normalize(g)]
    return bool(items) and all(g in norm for g in items)


def exact_match(answer: str, golds: Sequence[str]) -> bool:
    """The answer equals a gold string once both are normalised (SQuAD-style); an empty answer
    matches nothing."""
    norm = normalize(answer)
    return bool(norm) and any(norm == normalize(g) for g in golds)


def token_f1(answer: str, golds: Sequence[str]) -> float:
    """Best token-overlap F1 of the answer against any gold string."""
    pred = normalize(answer).split()
    best = 0.0
    for g in golds:
        ref = normalize(g).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if not pred or not ref or common == 0:
            continue
        p, r = common / len(pred), common / len(ref)
        best = max(best, 2 * p * r / (p + r))
    return best


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def citation_precision(cited_doc_ids: Sequence[str], gold: Sequence[str]) -> float:
    """Share of cited passages (one per citation) that come from a gold document."""
    if not cited_doc_ids:
        return 0.0
    gold_set = set(gold)
    return sum(d in gold_set for d in cited_doc_ids) / len(cited_doc_ids)


def citation_recall(cited_doc_ids: Sequence[str], gold: Sequence[str]) -> float:
    """Share of gold documents cited at least once."""
    gold_set = set(gold)
    if not gold_set:
        return 0.0
    return len(set(cited_doc_ids) & gold_set) / len(gold_set)


def refusal_scores(answerable: Sequence[bool], refused: Sequence[bool]) -> dict[str, float | None]:
    """``precision``: refusals that were right (the question was unanswerable); ``recall``:
    unanswerable questions refused; ``false_rate``: answerable questions refused. ``None`` when
    the denominator is empty."""
    pairs = list(zip(answerable, refused, strict=True))
    n_refused = sum(r for _, r in pairs)
    n_unanswerable = sum(not a for a, _ in pairs)
    n_answerable = len(pairs) - n_unanswerable
    right = sum(r and not a for a, r in pairs)
    wrong = sum(r and a for a, r in pairs)
    return {
        "precision": right / n_refused if n_refused else None,
        "recall": right / n_unanswerable if n_unanswerable else None,
        "false_rate": wrong / n_answerable if n_answerable else None,
    }


def lexical_support(sentence: str, evidence: str) -> float:
    """Share of the sentence's normalised tokens that occur in the evidence (0 for no tokens)."""
    tokens = normalize(sentence).split()
    if not tokens:
        return 0.0
    vocab = set(normalize(evidence).split())
    return sum(t in vocab for t in tokens) / len(tokens)
