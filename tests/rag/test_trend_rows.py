"""Trend rows from a table row's period columns (rag.shapes.trend_rows), and chunks that keep
table rows whole (index.chunking): logic over hand-made passages, no model."""

from __future__ import annotations

import numpy as np
import pytest

from index.chunking import Chunker
from index.types import CleanDocument, Document
from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, trend
from rag.shapes.trend_rows import rows
from rag.time_scope import asked
from rag.types import Passage

ROW_2022 = ("7.03A | Performance Measure: Average number of days to process retirement cases | "
            "FY 2018 Results: 58 .60 | FY 2019 Results: 55.7 | FY 2020 Results: 68.5 | "
            "FY 2021 Results: 78.96 | FY 2022 Results: 88.41 | FY 2022 Target: 60 | "
            "FY 2022 Target Met/ Not Met: Not Met")
ROW_2019 = ("7.03A | Performance Measure: Average number of days to process retirement cases | "
            "FY 2015 Results: 70.2 | FY 2016 Results: 66.0 | FY 2017 Results: 61.4 | "
            "FY 2018 Results: 58.5 | FY 2019 Results: 55.7")
OTHER = ("7.04 | Performance Measure: Percent of phone calls answered within 5 minutes | "
         "FY 2018 Results: 40% | FY 2019 Results: 45%")


def _input(question: str, *texts: str, titles: tuple[str, ...] = ()) -> ShapeInput:
    passages = [Passage(f"c{i}", f"report-{i}.pdf", (titles or ("OPM report",) * 9)[i], text,
                        0, len(text), 0.5) for i, text in enumerate(texts)]
    sentences = [ScoredSentence(line, i + 1, i * 10 + j, 0.9 - i * 0.1 - j * 0.01, 0.5)
                 for i, text in enumerate(texts) for j, line in enumerate(text.split("\n"))]
    return ShapeInput(question, QuestionKind("trend"), passages, sentences)


def test_a_row_gives_one_result_a_year_within_the_asked_period():
    q = ("What was the average number of days to process retirement cases in each fiscal year "
         "from FY 2019 to FY 2022?")
    inp = _input(q, f"Table 7\n{OTHER}\n{ROW_2022}")
    got = rows(inp, asked(q), 60)
    assert [(p.label, p.value) for p in got] == [
        ("FY 2019", "55.7"), ("FY 2020", "68.5"), ("FY 2021", "78.96"), ("FY 2022", "88.41")]
    text = inp.passages[0].text
    assert all(text[p.start:p.end] == p.text and p.text.endswith(p.value) for p in got)
    assert got[0].text == "FY 2019 Results: 55.7"  # the cell is the citation: header and value


def test_rows_of_the_same_measure_in_other_reports_fill_the_missing_years():
    q = ("How did the average number of days to process retirement cases change from FY 2016 "
         "to FY 2022?")
    inp = _input(q, ROW_2022, f"{OTHER}\n{ROW_2019}")
    got = rows(inp, asked(q), 60)
    assert [p.label for p in got] == [f"FY {y}" for y in range(2016, 2023)]
    by_label = {p.label: (p.value, p.passage) for p in got}
    assert by_label["FY 2016"] == ("66.0", 2) and by_label["FY 2017"] == ("61.4", 2)
    # the best row keeps the years it states (the later report's figure), a PDF's "58 .60" tidied
    assert by_label["FY 2018"] == ("58.60", 1)
    shaped = trend.build(inp)
    assert shaped is not None and shaped.table
    assert shaped.note == "It rose from 66.0 in FY 2016 to 88.41 in FY 2022."


def test_another_measure_or_one_year_gives_no_rows():
    q = "How has the average time to resolve IT tickets changed since 2018?"
    assert rows(_input(q, ROW_2022, OTHER), asked(q), 60) == []
    one = "7.03A | Average number of days to process retirement cases | FY 2022 Results: 88.41"
    q2 = "How has the average number of days to process retirement cases changed?"
    assert rows(_input(q2, one), asked(q2), 60) == []


def test_targets_count_only_in_a_row_without_results():
    q = "What are the targets for the percent of calls answered in each year?"
    plan = "Percent of calls answered | FY 2023 Target: 80% | FY 2024 Target: 85%"
    assert [(p.label, p.value) for p in rows(_input(q, plan), asked(q), 60)] == [
        ("FY 2023 Target", "80%"), ("FY 2024 Target", "85%")]


def _chunks(text: str, size: int = 40) -> list[str]:
    doc = Document(doc_id="t.txt", title="t", text=text, source_path="t.txt", mtime=0.0,
                   content_hash="h" * 64)
    chunker = Chunker(size, 5, str.split)
    clean = CleanDocument(doc, text, np.arange(len(text)))
    return [c.text for c in chunker.split(clean)]


def test_chunks_keep_table_rows_whole_and_figures_unbroken():
    rows_ = [f"7.0{i} | Measure {i}: cost, per claim | FY 2016 Results: ${i}35.05 | "
             f"FY 2017 Results: 1,2{i}4.50" for i in range(1, 9)]
    chunks = _chunks("\n".join(rows_))
    assert len(chunks) > 2
    for chunk in chunks:
        for line in chunk.split("\n"):
            assert line in rows_, line  # never half a row, never a figure cut at its point


@pytest.mark.parametrize("sentence", ["It cost 1,234.50 dollars, more than 2.5 times the estimate "
                                      "of the year before; nobody knew why"])
def test_a_long_sentence_is_cut_after_punctuation_never_inside_a_figure(sentence):
    chunks = _chunks(" ".join([sentence] * 6), size=20)
    assert all("1,234.50" in c or "1,234" not in c for c in chunks)
    assert all("2.5 times" in c or "2." not in c.split()[-1] for c in chunks)


def test_the_figures_of_a_trend_come_from_one_series():
    """Two handbooks and two travel policies state a figure of claims: the trend is the best
    figure's series (the handbook's two years), never the handbook's and the policy's."""
    q = "How has the approval of claims changed?"
    inp = _input(q, "Claims above 1,000 euros need the finance director's approval.",
                 "Receipts are required for meal claims over 20 euros.",
                 "Claims above 500 euros need the finance director's approval.",
                 "Receipts are required for meal claims over 10 euros.",
                 titles=("Expenses handbook 2024", "Travel policy 2025",
                         "Expenses handbook 2023", "Travel policy 2024"))
    got = trend.build(inp)
    assert [(p.label, p.value, p.passage) for p in got.pieces] == [
        ("2023", "500", 3), ("2024", "1,000", 1)]
    assert trend.series_of(inp.passages)["report-1.pdf"] == "travel policy | report pdf"


def test_documents_of_no_series_give_one_trend():
    q = "How has the number of crossings changed?"
    inp = _input(q, "In 2021 the number of crossings reached 1.7 million.",
                 "The number of crossings was 400,000 in 2019, officials said.",
                 titles=("Border arrests rise", "Talks resume in Mexico City"))
    got = trend.build(inp)
    assert [(p.label, p.value) for p in got.pieces] == [("2019", "400,000"),
                                                        ("2021", "1.7 million")]
    assert set(trend.series_of(inp.passages).values()) == {None}
