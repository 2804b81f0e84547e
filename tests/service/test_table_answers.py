"""Tables as tables, end to end: an HTML page and a CSV with tables, ingested with the real model
and Chroma, answer a figure question by citing the table's row, the citation carries the row with
its header (API), and the widget shows it as a small table (real Chromium)."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.helpers import CHROMIUM
from tests.service.test_widget_browser import SHOTS, ask, widget_world

READ_KEY = "table-read-key-0123456789"
REPORT = """<!doctype html><html><head><title>Quellmoor Ltd quarterly report</title></head><body>
<h1>Quellmoor Ltd quarterly report</h1>
<p>Quellmoor Ltd designs harbour cranes. This report covers the quarter ended July 1, 2023.</p>
<h2>Net sales by category</h2>
<table><tr><th></th><th>Quarter ended July 1, 2023</th><th>Quarter ended June 25, 2022</th></tr>
<tr><td>Crane sales</td><td>$41,120</td><td>$38,455</td></tr>
<tr><td>Service contracts</td><td>$12,904</td><td>$11,870</td></tr>
<tr><td>Total net sales</td><td>$54,024</td><td>$50,325</td></tr></table>
<p>Demand for cranes rose in northern ports, management said.</p>
</body></html>"""
FLEET = "Vessel,Length (m),Home port\nMarta Grieg,212,Bergen\nOskar Lind,187,Tromso\n"
QUESTION = "What were Quellmoor's total net sales in the quarter ended July 1, 2023?"


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("tables")
    (root / "corpus").mkdir()
    (root / "corpus" / "quellmoor-q3.html").write_text(REPORT)
    (root / "corpus" / "fleet.csv").write_text(FLEET)
    with widget_world(root, embedder, READ_KEY) as served:
        yield served


def _ask(api, question: str) -> dict:
    r = httpx.post(f"{api.url}/v1/ask", json={"question": question},
                   headers={"X-API-Key": READ_KEY}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_figure_question_cites_the_row_with_its_header(served):
    api, _ = served
    body = _ask(api, QUESTION)
    assert not body["refused"] and "$54,024" in body["answer"], body["answer"]
    tables = [c["table"] for c in body["citations"] if c["table"]]
    assert tables, body["citations"]
    table = tables[0]
    assert table["caption"] == "Net sales by category"
    assert table["header"] == ["", "Quarter ended July 1, 2023", "Quarter ended June 25, 2022"]
    assert ["Total net sales", "$54,024", "$50,325"] in table["rows"]
    # the question names the column: the exact answer is that cell
    assert body["short_answer"]["text"] == "$54,024"


def test_a_csv_answers_from_its_row(served):
    api, _ = served
    body = _ask(api, "Which is the home port of the vessel Oskar Lind?")
    assert not body["refused"] and "Tromso" in body["answer"], body["answer"]
    table = next(c["table"] for c in body["citations"] if c["table"])
    assert table["header"] == ["Vessel", "Length (m)", "Home port"]
    assert ["Oskar Lind", "187", "Tromso"] in table["rows"]


@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                    reason="needs Debian's chromium at /usr/bin/chromium (scripts/test.sh "
                           "installs it as root)")
def test_the_widget_shows_a_table_answer_as_a_table(served, browser):
    from playwright.sync_api import expect

    _, host = served
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    ask(page, QUESTION)
    table = page.locator("table.cited-table").first
    expect(table).to_be_visible(timeout=90_000)
    expect(table.locator("caption")).to_contain_text("Net sales by category")
    expect(table.get_by_role("columnheader", name="Quarter ended July 1, 2023")).to_be_visible()
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Total net sales"))
    expect(row.get_by_role("cell", name="$54,024")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-table-answer.png"))
    context.close()
