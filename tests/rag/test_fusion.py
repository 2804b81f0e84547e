"""Fusion, duplicate collapse and reranker logic on small hand-made cases (no model)."""

import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fitting.fit_reranker import fit_listwise
from index.errors import ConfigError
from index.types import Chunk
from rag.fusion import (
    Candidate,
    DuplicateRule,
    collapse_duplicates,
    fuse,
    overlap,
    rrf,
    shingles,
)
from rag.linear import LinearModel
from rag.rerank import FEATURES, FeatureReranker, best_window, features, load_weights


def chunk(cid: str, text: str = "", doc: str | None = None, title: str = "", index: int = 0,
          **meta) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc or cid, doc_hash="h", title=title, text=text or cid,
                 start=0, end=len(text or cid), index=index, metadata=meta)


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = rrf([(1.0, ["a", "b", "c"]), (2.0, ["c", "a"])], k=10)
    assert fused["a"] == pytest.approx(1 / 11 + 2 / 12)
    assert fused["b"] == pytest.approx(1 / 12)
    assert fused["c"] == pytest.approx(1 / 13 + 2 / 11)
    assert sorted(fused, key=fused.get, reverse=True) == ["c", "a", "b"]


def test_fuse_merges_lists_and_keeps_both_scores():
    a, b, c = chunk("a"), chunk("b"), chunk("c")
    cands = fuse([a, b], [(c, 12.0), (b, 7.0)], k=60, dense_weight=1.0,
                 keyword_weight=1.0)
    assert [x.chunk.chunk_id for x in cands] == ["b", "a", "c"]  # b is in both lists
    by_id = {x.chunk.chunk_id: x for x in cands}
    assert (by_id["b"].dense_rank, by_id["b"].bm25, by_id["b"].keyword_rank) == (2, 7.0, 2)
    assert by_id["c"].dense_rank is None and by_id["c"].keyword_rank == 1
    # a tie in fused score (a and c both rank 1 once) is broken by the chunk id
    assert by_id["a"].fused == pytest.approx(by_id["c"].fused)


def test_fuse_weights_can_favour_one_list():
    a, c = chunk("a"), chunk("c")
    keyword_first = fuse([a], [(c, 5.0)], k=60, dense_weight=0.5, keyword_weight=1.0)
    dense_first = fuse([a], [(c, 5.0)], k=60, dense_weight=1.0, keyword_weight=0.5)
    assert [x.chunk.chunk_id for x in keyword_first] == ["c", "a"]
    assert [x.chunk.chunk_id for x in dense_first] == ["a", "c"]


STORY = ("In December, Border Patrol agents apprehended more than 225,000 migrants who crossed "
         "the southern border, the highest monthly total on record, officials said on Tuesday.")


def test_near_duplicates_collapse_to_the_better_ranked_copy():
    copy = Candidate(chunk("copy", "Officials said: " + STORY + " More to come.", doc="004"))
    original = Candidate(chunk("orig", STORY, doc="002"))
    other = Candidate(chunk("other", "The delegation met the Mexican president in Mexico City "
                            "to discuss trade, fentanyl and the reopening of rail crossings."))
    ranked = [original, other, copy]
    assert overlap(shingles(copy.chunk.text), shingles(original.chunk.text)) == 1.0
    assert [c.chunk.chunk_id for c in collapse_duplicates(ranked, DuplicateRule())] \
        == ["orig", "other"]
    assert len(collapse_duplicates(ranked, DuplicateRule(text=1.01))) == 3
    assert [c.chunk.chunk_id for c in collapse_duplicates(ranked, DuplicateRule(), limit=1)] \
        == ["orig"]


def test_reports_on_different_periods_are_not_versions_of_each_other():
    """One agency's yearly tables read alike, but the 2015 figure is no older telling of the
    2019 one: both stay. A verbatim repeat (boilerplate) still collapses."""
    row = "Percent of retirement claims processed within 60 days | FY 2015 Results: {}"
    y2015 = Candidate(chunk("a", row.format("70.1%"), doc="2015.pdf"), period=(2015, 2015),
                      date="2016-02-01", date_source="metadata")
    y2019 = Candidate(chunk("b", row.format("70.1 percent"), doc="2019.pdf"),
                      period=(2019, 2019), date="2020-02-01", date_source="metadata")
    assert overlap(shingles(y2015.chunk.text), shingles(y2019.chunk.text)) >= 0.8
    assert [c.chunk.chunk_id for c in collapse_duplicates([y2015, y2019], DuplicateRule())] \
        == ["a", "b"]
    same = Candidate(chunk("c", y2015.chunk.text, doc="2019.pdf"), period=(2019, 2019))
    assert [c.chunk.chunk_id for c in collapse_duplicates([y2015, same], DuplicateRule())] \
        == ["a"]
    # without periods: the newer stated date takes the place, as before
    undated = [Candidate(chunk("a", y2015.chunk.text, doc="2015.pdf"), date="2016-02-01",
                         date_source="metadata"),
               Candidate(chunk("b", y2019.chunk.text, doc="2019.pdf"), date="2020-02-01",
                         date_source="metadata")]
    assert [c.chunk.chunk_id for c in collapse_duplicates(undated, DuplicateRule())] == ["b"]


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_vectors_and_duplicate_groups_catch_rewritten_copies():
    # two outlets' rewrites of one story share no wording but point the same way
    a = Candidate(chunk("a", "Agents stopped 225,000 people in December.", doc="002"),
                  vector=unit(1, 0.45, 0), group="002")
    b = Candidate(chunk("b", "December saw a record of border arrests.", doc="004"),
                  vector=unit(1, 0, 0.1), group="002")
    c = Candidate(chunk("c", "Another chunk of the same story document.", doc="004"),
                  vector=unit(1, 0, 0.05), group="002")
    cosine_ab = float(a.vector @ b.vector)
    assert 0.8 <= cosine_ab < 0.95
    assert len(collapse_duplicates([a, b], DuplicateRule())) == 1  # same group, close enough
    assert len(collapse_duplicates([a, b], DuplicateRule(group_cosine=1.01))) == 2
    assert len(collapse_duplicates([a, b], DuplicateRule(cosine=cosine_ab,
                                                         group_cosine=1.01))) == 1
    # chunks of one document are never collapsed by the group rule
    assert len(collapse_duplicates([b, c], DuplicateRule(cosine=1.01))) == 2


def terms(text: str) -> list[str]:
    return [w.strip(".,?").lower() for w in text.split() if len(w) > 2]


def idf(ts):
    return {t: 1.0 for t in ts}


def test_features_measure_term_coverage_title_and_ranks():
    c1 = Candidate(chunk("c1", "Shirley Temple served as Chief of Protocol.", title="Shirley Temple",
                         index=0), dense=0.7, dense_rank=1, fused=0.03)
    c2 = Candidate(chunk("c2", "A film about a teenage girl.", title="Kiss and Tell", index=2),
                   bm25=4.0, keyword_rank=1, fused=0.015)
    rows = features("Which protocol post did Shirley Temple hold?", [c1, c2], terms, idf)
    f = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    assert rows.shape == (2, len(FEATURES))
    assert f["dense_gap"].tolist() == pytest.approx([0.0, -0.7])
    assert f["dense_rr"].tolist() == [1.0, 0.0] and f["keyword_rr"].tolist() == [0.0, 1.0]
    assert f["bm25_rel"].tolist() == [0.0, 1.0]
    assert f["rrf_rel"].tolist() == [1.0, 0.5]
    # question terms: which protocol post did shirley temple hold -> 7 terms
    assert f["coverage"][0] == pytest.approx(3 / 7) and f["coverage"][1] == 0.0
    assert f["bigram"][0] == pytest.approx(1 / 6)  # "shirley temple"
    assert f["title_in_question"].tolist() == [1.0, 0.0]
    # leads: positive only for the top of each list, the gap to the top for the others
    assert f["dense_lead"].tolist() == pytest.approx([0.7, -0.7])
    assert f["bm25_lead"].tolist() == pytest.approx([-1.0, 1.0])
    assert f["dense_z"].tolist() == pytest.approx([1.0, -1.0])
    # "shirley temple ... protocol" lies within 12 terms: 3 of the 7 (equal-idf) terms
    assert f["window"][0] == pytest.approx(3 / 7) and f["window"][1] == 0.0
    assert f["doc_best_dense"].tolist() == pytest.approx([0.0, -0.7])


def test_document_features_let_a_documents_best_chunk_speak_for_the_others():
    a1 = Candidate(chunk("a1", "Temple was ambassador to Ghana.", doc="a"), dense=0.9,
                   dense_rank=1, fused=0.03)
    a2 = Candidate(chunk("a2", "She was born in Santa Monica.", doc="a", index=1), dense=0.2,
                   dense_rank=3, fused=0.01)
    b1 = Candidate(chunk("b1", "Ghana became independent.", doc="b"), dense=0.5, dense_rank=2,
                   fused=0.02)
    rows = features("Where was Temple ambassador?", [a1, a2, b1], terms, idf)
    f = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    assert f["doc_share"].tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3])
    assert f["doc_best_dense"].tolist() == pytest.approx([0.0, 0.0, -0.4])
    assert f["doc_best_window"][1] == f["window"][0] > f["window"][1]


def test_best_window_finds_question_terms_close_together():
    weights = {"shirley": 2.0, "temple": 1.0, "protocol": 3.0}
    near = "the chief of protocol was shirley temple".split()
    far = ["protocol"] + ["filler"] * 20 + ["shirley", "temple"]
    assert best_window(near, weights, 5) == 6.0
    assert best_window(far, weights, 5) == 3.0  # protocol alone beats shirley temple
    assert best_window(far, weights, 30) == 6.0
    assert best_window(["shirley", "shirley", "x"], weights, 5) == 2.0  # counted once
    assert best_window([], weights, 5) == 0.0


VOCAB = [f"w{i}" for i in range(30)]
IDF = {w: 0.1 + (7 * i % 30) / 4 for i, w in enumerate(VOCAB)}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(VOCAB), max_size=60), min_size=1, max_size=6),
       st.lists(st.sampled_from(VOCAB), min_size=1, max_size=8), st.integers(0, 5))
@example([["w1"] + ["w2"] * 11 + ["w3"], ["w1"] + ["w2"] * 10 + ["w3"]], ["w1", "w3"], 1)
@example([["w1"], ["w2", "w3"]], ["w1", "w3"], 0)
def test_text_features_match_their_definitions_over_each_candidate(bodies, question, held):
    """The text columns, computed for all candidates at once from the hits (the first
    ``held`` candidates' hits given as an index's matches would give them, the others'
    analysed), against their definitions written per candidate, text by text."""
    def words(text):
        return text.split()

    def matches(q_terms, chunk_ids):
        from index.snapshot import TermHits
        found = [(i, p, q_terms.index(t)) for i, cid in enumerate(chunk_ids[:held])
                 for p, t in enumerate(bodies[int(cid)]) if t in q_terms]
        seg, pos, term = (np.array(x, dtype=np.int64).reshape(-1) for x in
                          (zip(*found) if found else ([], [], [])))
        return TermHits(np.arange(len(chunk_ids)) < held, seg, pos, term)

    cands = [Candidate(chunk(str(i), " ".join(b) or "zz", title="zz"), fused=0.1)
             for i, b in enumerate(bodies)]
    rows = features(" ".join(question), cands, words, lambda ts: {t: IDF[t] for t in ts},
                    matches)
    f = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    q = sorted(set(question))
    weight = sum(IDF[t] for t in q)
    pairs = set(zip(question, question[1:]))
    for i, body in enumerate(bodies):
        shared = set(body) & set(q)
        assert f["coverage"][i] == pytest.approx(len(shared) / len(q))
        assert f["idf_coverage"][i] == pytest.approx(sum(IDF[t] for t in shared) / weight)
        assert f["rarest_match"][i] == pytest.approx(
            max((IDF[t] for t in shared), default=0.0) / max(IDF[t] for t in q))
        best = max((sum(IDF[t] for t in set(body[s:s + 12]) & set(q))
                    for s in range(len(body))), default=0.0)
        assert f["window"][i] == pytest.approx(best / weight)
        adjacent = set(zip(body, body[1:])) & pairs
        assert f["bigram"][i] == pytest.approx(len(adjacent) / len(pairs) if pairs else 0.0)


def test_listwise_fit_learns_the_feature_that_ranks_gold_first_and_reranks_by_it():
    rng = np.random.default_rng(0)
    col = FEATURES.index("coverage")
    groups = []
    for _ in range(60):
        x = rng.normal(size=(8, len(FEATURES)))
        y = np.zeros(8)
        y[int(np.argmax(x[:, col]))] = 1.0  # the gold candidate covers the question best
        groups.append((x, y))
    groups.append((np.zeros((0, len(FEATURES))), np.zeros(0)))  # no candidates: skipped
    model = fit_listwise(groups, FEATURES, l2=0.1)
    coef = dict(zip(FEATURES, model.coef))
    assert coef["coverage"] == max(coef.values()) and coef["coverage"] > 2.0
    assert model.bias == 0.0 and (model.scale == 1.0).all() and (model.mean == 0.0).all()
    hits = [np.argmax(model.score(x)) == np.argmax(y) for x, y in groups if len(x)]
    assert np.mean(hits) > 0.9
    with pytest.raises(ValueError, match="no question"):
        fit_listwise([(np.zeros((2, len(FEATURES))), np.zeros(2))], FEATURES, l2=1.0)

    good = Candidate(chunk("good", "shirley temple protocol"), dense=0.1, dense_rank=2,
                     fused=0.01)
    bad = Candidate(chunk("bad", "nothing relevant here"), dense=0.2, dense_rank=1, fused=0.02)
    coverage_only = LinearModel(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)),
                                np.eye(len(FEATURES))[FEATURES.index("coverage")] * 5, 0.0)
    ranked = FeatureReranker(coverage_only, terms, idf).rerank(
        "shirley temple protocol", np.zeros(3), [bad, good])
    assert [c.chunk.chunk_id for c in ranked] == ["good", "bad"]
    assert ranked[0].score > ranked[1].score


def test_weights_for_other_features_are_refused(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"features": ["dense"], "mean": [0], "scale": [1], "coef": [1],
                                "bias": 0}))
    with pytest.raises(ConfigError, match="refit"):
        load_weights(path)
    path.write_text("{")
    with pytest.raises(ConfigError, match="cannot read"):
        load_weights(path)


@pytest.mark.parametrize("path", ["rag/rerank_weights.json",
                                  "eval/weights/rerank_fit_hotpotqa.json"])
def test_shipped_weights_load_and_beat_each_list_on_the_benchmark_they_never_saw(path):
    from tests.helpers import ROOT

    model = load_weights(ROOT / path)
    assert model.names == FEATURES and np.isfinite(model.coef).all()
    fitted, check = model.extra["fit"], model.extra["check"]
    assert model.extra["fitted_on"] == fitted["benchmark"] != check["benchmark"]
    assert f"--fit {fitted['benchmark']} --check {check['benchmark']}" in model.extra["command"]
    best_list = max(check["dense"]["recall_at_1"], check["bm25"]["recall_at_1"])
    assert check["reranked"]["recall_at_1"] >= best_list + 0.03
    assert check["reranked"]["mrr"] > max(check["dense"]["mrr"], check["bm25"]["mrr"])


def test_fit_labels_prefer_the_chunks_holding_the_answer():
    from eval.dataset import QAItem
    from fitting.fit_reranker import gold_labels

    title = Candidate(chunk("p1", "Border talks: officials meet in Mexico City.", doc="paper"))
    answer = Candidate(chunk("p2", "Agents apprehended 191,000 migrants in November.",
                             doc="paper", index=1))
    bridge = Candidate(chunk("b1", "Mexico City is the capital of Mexico.", doc="bridge"))
    other = Candidate(chunk("o1", "191,000 people attended a concert.", doc="other"))
    item = QAItem("q", "How many migrants in November?", ("191,000",), ("paper", "bridge"), True)
    # the answer chunk, not the title chunk, of the gold paper; all of a gold document holding
    # no answer; never a chunk of another document, even one holding the answer string
    assert gold_labels(item, [title, answer, bridge, other]).tolist() == [0, 1, 1, 0]
    no_answer = QAItem("q", "Yes or no?", ("yes",), ("paper",), True)
    assert gold_labels(no_answer, [title, answer, other]).tolist() == [1, 1, 0]


def test_the_version_of_the_asked_period_takes_the_place():
    """A policy reissued each year with one figure changed: the newest version holds the
    place, unless the question asks of a period (rag.time_scope), whose version then does, the
    others riding beside it."""
    from rag.time_scope import Scope

    text = ("Staff book all travel through the travel desk at least 21 days before departure. "
            "Economy class is used for flights under six hours. The daily meal allowance is {} "
            "euros within the country and 60 euros abroad. Hotels are booked by the travel "
            "desk at the negotiated rate, and receipts are kept for every claim.")
    versions = [Candidate(chunk(f"v{year}", text.format(amount), doc=f"travel-{year}.md"),
                          date=f"{year}-01-15", date_source="text")
                for year, amount in ((2025, 50), (2023, 40), (2024, 45))]
    rule = DuplicateRule()
    newest = collapse_duplicates(versions, rule)
    assert [c.chunk.chunk_id for c in newest] == ["v2025"]
    assert {v.chunk.chunk_id for v in newest[0].versions} == {"v2023", "v2024"}
    asked = collapse_duplicates(versions, rule, scope=Scope(2023, 2023))
    assert [c.chunk.chunk_id for c in asked] == ["v2023"]
    assert {v.chunk.chunk_id for v in asked[0].versions} == {"v2025", "v2024"}
    latest = collapse_duplicates(versions, rule, scope=Scope(latest=True))
    assert [c.chunk.chunk_id for c in latest] == ["v2025"]
    # a period no version covers leaves the newest in place
    assert [c.chunk.chunk_id for c in collapse_duplicates(versions, rule,
                                                           scope=Scope(2019, 2019))] == ["v2025"]


def test_undated_versions_of_one_series_keep_the_later_version_number():
    """Two releases' copies of one page, the files named with their versions and no date: the
    later release's takes the place; two stories that merely read alike do not compare their
    numbers."""
    text = ("If a Merger is elected to the {}, they shall cease to be a Merger immediately upon "
            "taking up membership in the {}. Mergers may resign their role at any time, but "
            "should endeavor to provide some advance notice in order to allow the selection of a "
            "replacement.")
    old = Candidate(Chunk("o", "django-organization-3.2.25.txt", "h", "Organization of Django",
                          text.format("technical board", "technical board"), 0, 10, 0))
    new = Candidate(Chunk("n", "django-organization-5.1.4.txt", "h", "Organization of Django",
                          text.format("steering council", "steering council"), 0, 10, 0))
    kept = collapse_duplicates([old, new], DuplicateRule(text=0.5))
    assert [c.chunk.chunk_id for c in kept] == ["n"]
    other = Candidate(Chunk("x", "story-2.0.txt", "h", "Another title", old.chunk.text, 0, 10, 0))
    assert [c.chunk.chunk_id for c in collapse_duplicates([old, other],
                                                           DuplicateRule(text=0.5))] == ["o"]
