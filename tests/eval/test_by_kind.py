"""Figures by question kind (eval/by_kind.py), computed from a report's outcomes."""

from __future__ import annotations

import json
from pathlib import Path

from eval.by_kind import by_kind, main


def _outcome(id_, answerable, refused, answer, golds, cited, retrieved, gold_docs):
    return {"id": id_, "answerable": answerable, "refused": refused, "answer": answer,
            "gold_answers": golds, "cited": [{"text": t} for t in cited],
            "retrieved_doc_ids": retrieved, "gold_doc_ids": gold_docs}


def test_table_questions_need_the_figure_stated_and_cited(tmp_path: Path, capsys):
    gold = tmp_path / "gold.jsonl"
    rows = [{"id": "a", "question": "?", "answers": ["81,797"], "doc_ids": ["r.pdf"],
             "kind": "table", "tags": ["table", "year"]},
            {"id": "b", "question": "?", "answers": ["12"], "doc_ids": ["r.pdf"],
             "kind": "table", "tags": ["table"]},
            {"id": "c", "question": "?", "answers": [], "doc_ids": [], "answerable": False,
             "kind": "unanswerable", "tags": ["unanswerable"]}]
    gold.write_text("\n".join(json.dumps(r) for r in rows))
    report = {"per_question": [
        _outcome("a", True, False, "Net sales were $81,797 [1].", ["81,797"],
                 ["Total net sales | Q3: $81,797"], ["r.pdf", "s.pdf"], ["r.pdf"]),
        _outcome("b", True, False, "It was 12 [1].", ["12"], ["no figure here"],
                 ["s.pdf", "r.pdf"], ["r.pdf"]),
        _outcome("c", False, True, "The documents do not say.", [], [], ["s.pdf"], [])]}
    table = by_kind(report, gold)
    assert table["kind:table"]["questions"] == 2
    assert table["kind:table"]["states_and_cites_gold"] == 0.5  # b states 12 but cites no row
    assert table["kind:table"]["contains_gold"] == 1.0
    assert table["kind:table"]["hit_at_1"] == 0.5 and table["kind:table"]["hit_at_5"] == 1.0
    assert table["tag:year"]["questions"] == 1
    assert table["all"]["refusal_recall"] == 1.0 and table["all"]["answerable_refused"] == 0.0
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert main([str(path), "--qa", str(gold)]) == 0
    assert "| kind:table | 2 | 0.500 | 1.000 |" in capsys.readouterr().out
