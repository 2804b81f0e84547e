"""The eval's parts: support checking (real encoder), variants, the baseline gate, importers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.baseline import compare, format_comparison, parse_tolerances
from eval.dataset import load_qa
from eval.importers import import_beir, import_squad
from eval.report import Report, RunInfo, aggregate
from eval.runner import CitedPassage, QuestionOutcome
from eval.support import SupportChecker
from eval.variants import Variant, apply, parse_variants
from index.errors import ConfigError, InputError
from rag.settings import Settings

PASSAGE = ("Border Patrol agents apprehended more than 191,000 migrants in November. "
           "The rail crossings were reopened after talks.")


def test_support_checker_lexical_semantic_and_uncited(embedder):
    checker = SupportChecker(embedder, lexical=0.8, semantic=0.6)
    answer = ("Border Patrol agents apprehended more than 191,000 migrants in November. [1] "
              "After negotiations, the railway border points opened again. [1] "
              "Bananas are yellow. [1] Nobody cites this.")
    got = checker.check(answer, {1: PASSAGE})
    assert [s.supported for s in got] == [True, True, False, False]
    assert got[3].markers == ()


def test_support_checker_ignores_markers_pointing_nowhere(embedder):
    got = SupportChecker(embedder, 0.8, 0.6).check("Border Patrol agents apprehended "
                                                   "migrants in November. [7]", {1: PASSAGE})
    assert [s.supported for s in got] == [False]


def test_variants_validate_through_settings():
    settings = Settings(data_dir=Path("x"))
    (variant,) = parse_variants("k2", {"k2": {"retrieval": {"top_k": 2}}})
    assert apply(settings, variant).retrieval.top_k == 2
    assert apply(settings, parse_variants("full")[0]) == settings
    with pytest.raises(ConfigError, match="unknown setting retrieval.no_such_field"):
        apply(settings, Variant("bad", {"retrieval": {"no_such_field": 1}}))
    with pytest.raises(ConfigError, match="unknown setting nonsense"):
        apply(settings, Variant("bad", {"nonsense": {}}))
    with pytest.raises(ConfigError, match="greater than or equal to 1"):
        apply(settings, Variant("bad", {"retrieval": {"top_k": 0}}))
    with pytest.raises(ConfigError, match="shapes the index"):
        apply(settings, Variant("bad", {"chunking": {"chunk_size": 100}}))
    with pytest.raises(ConfigError, match="unknown variant"):
        parse_variants("full,nope")


def test_presets_isolate_each_retrieval_stage():
    settings = Settings(data_dir=Path("x"))
    got = {v.name: apply(settings, v).retrieval
           for v in parse_variants("dense,bm25,rrf,full")}
    assert (got["dense"].mode, got["dense"].rerank) == ("dense", False)
    assert (got["bm25"].mode, got["bm25"].rerank) == ("keyword", False)
    assert (got["rrf"].mode, got["rrf"].rerank) == ("hybrid", False)
    assert (got["full"].mode, got["full"].rerank) == ("hybrid", True)


def _outcome(qid: str, answerable: bool, refused: bool, gold_hit: float | None,
             answer: str = "text") -> QuestionOutcome:
    scores = {} if gold_hit is None else {"contains_gold": gold_hit}
    return QuestionOutcome(id=qid, question=f"question {qid}?", answerable=answerable, tags=[],
                           gold_answers=["x"] if answerable else [], gold_doc_ids=[],
                           answer=answer, refused=refused,
                           cited=[CitedPassage(1, "d.txt", 0, 5, "<b>passage</b>")],
                           retrieved_doc_ids=[], latency_ms=10.0, scores=scores)


def _report(outcomes: list[QuestionOutcome]) -> Report:
    info = RunInfo("full", "c", "qa", "f" * 64, "m", "extractive", "v1", "abc", {})
    return Report(info, aggregate(outcomes), outcomes)


def test_gate_fails_on_a_drop_beyond_tolerance_and_names_the_flips():
    base = _report([_outcome("a", True, False, 1.0, "old right"), _outcome("b", True, False, 1.0),
                    _outcome("u", False, True, None)])
    worse = _report([_outcome("a", True, False, 0.0, "new wrong"), _outcome("b", True, False, 1.0),
                     _outcome("u", False, True, None)])
    c = compare(worse, base, {}, default_tolerance=0.01)
    assert [m.name for m in c.failed] == ["answer.contains_gold"]  # 1.0 -> 0.5
    assert [(f.id, f.now_correct) for f in c.flips] == [("a", False)]
    text = format_comparison(c)
    assert "FAIL   answer.contains_gold: 1 -> 0.5" in text
    assert "old right" in text and "new wrong" in text
    # a per-metric tolerance lets the same drop through; the other direction is "better"
    assert not compare(worse, base, {"answer.contains_gold": 0.5}, 0.01).failed
    assert not compare(base, worse, {}, 0.01).failed


def test_gate_watches_lower_is_better_metrics():
    base = _report([_outcome("a", True, False, 1.0), _outcome("b", True, False, 1.0)])
    refusing = _report([_outcome("a", True, True, 0.0), _outcome("b", True, False, 1.0)])
    names = [m.name for m in compare(refusing, base, {}, 0.01).failed]
    assert "refusal.false_rate" in names  # 0 -> 0.5: rising is worse
    assert "latency_ms.p50" not in names  # not gated unless asked


def test_report_round_trips_through_json():
    report = _report([_outcome("a", True, False, 1.0), _outcome("u", False, True, None)])
    again = Report.from_json(json.loads(json.dumps(report.to_json())))
    assert again.flat() == report.flat() and again.questions == report.questions


def test_tolerances_from_flags_and_files(tmp_path):
    toml = tmp_path / "tol.toml"
    toml.write_text("[answer]\ncontains_gold = 0.05\n[retrieval]\nmrr = 0.1\n")
    got = parse_tolerances(["retrieval.mrr=0.2"], toml)
    assert got == {"answer.contains_gold": 0.05, "retrieval.mrr": 0.2}  # flags win
    (tmp_path / "tol.json").write_text('{"citations.precision": 0.03}')
    assert parse_tolerances([], tmp_path / "tol.json") == {"citations.precision": 0.03}
    for bad in ("answer.contains_gold", "answer.contains_gold=x", "answer.contains_gold=-1"):
        with pytest.raises(ConfigError, match="metric=non-negative"):
            parse_tolerances([bad], None)
    base = _report([_outcome("a", True, False, 1.0)])
    with pytest.raises(ConfigError, match="unknown metric"):
        compare(base, base, {"answer.contain_gold": 0.1}, 0.01)


def test_import_squad(tmp_path):
    squad = {"version": "v2.0", "data": [{"title": "Border talks", "paragraphs": [
        {"context": "Mexico reopened two rail crossings.", "qas": [
            {"id": "s1", "question": "How many crossings reopened?",
             "answers": [{"text": "two", "answer_start": 15},
                         {"text": "two", "answer_start": 15}]},
            {"id": "s2", "question": "Who closed them?", "answers": [], "is_impossible": True}]},
        {"context": "Talks lasted two hours.", "qas": [
            {"id": "s3", "question": "How long?", "answers": [{"text": "two hours"}]}]}]}]}
    source = tmp_path / "squad.json"
    source.write_text(json.dumps(squad))
    assert import_squad(source, tmp_path / "out") == 3
    (doc,) = (tmp_path / "out" / "corpus").iterdir()
    assert doc.read_text() == "Mexico reopened two rail crossings.\n\nTalks lasted two hours.\n"
    items = {i.id: i for i in load_qa(tmp_path / "out" / "qa.jsonl")}
    assert items["s1"].answers == ("two",) and items["s1"].doc_ids == (doc.name,)
    assert not items["s2"].answerable and items["s2"].doc_ids == ()
    assert items["s3"].extra == {"title": "Border talks"}
    with pytest.raises(InputError, match="already holds files"):
        import_squad(source, tmp_path / "out")
    (tmp_path / "bad.json").write_text('{"data": [{"title": "x"}]}')
    with pytest.raises(InputError, match="not in SQuAD form"):
        import_squad(tmp_path / "bad.json", tmp_path / "out2")


def test_import_beir(tmp_path):
    src = tmp_path / "beir"
    (src / "qrels").mkdir(parents=True)
    (src / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "Fentanyl", "text": "A committee was set up in 2023."}\n'
        '{"_id": "d/2", "title": "", "text": "Bridges reopened."}\n')
    (src / "queries.jsonl").write_text('{"_id": "q1", "text": "When was it set up?"}\n'
                                       '{"_id": "q2", "text": "Unjudged question"}\n')
    (src / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td/2\t0\n")
    assert import_beir(src, tmp_path / "out") == 1
    (item,) = load_qa(tmp_path / "out" / "qa.jsonl")
    assert item.question == "When was it set up?" and item.answers == ()
    (doc_id,) = item.doc_ids
    assert (tmp_path / "out" / "corpus" / doc_id).read_text().startswith("Fentanyl\n\nA committee")
    assert len(list((tmp_path / "out" / "corpus").iterdir())) == 2
    with pytest.raises(InputError, match="dev.tsv does not exist"):
        import_beir(src, tmp_path / "out2", split="dev")


def test_spread_samples_evenly_and_deterministically():
    from eval.dataset import QAItem, spread

    items = [QAItem(str(i), f"q{i}?", (), (), True) for i in range(10)]
    assert [i.id for i in spread(items, 3)] == ["0", "3", "6"]  # indices 0, 10//3, 20//3
    assert spread(items, 20) == items
