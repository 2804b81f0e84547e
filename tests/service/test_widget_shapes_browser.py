"""Answer shapes in the widget, in real headless Chromium over a real app and index (the bundled
encoder, Chroma, the full answer pipeline) of the shape corpus (tests/rag/shape_corpus): steps
as an ordered list, a yes/no verdict badge, the two sides of a comparison, every item of a list
with "Only N found", a trend's table in date order with the change, an explanation's sentences;
each piece's marker opens its citation with the piece highlighted. One screenshot per shape
(widget-shape-<kind>.png, in test-artifacts/screenshots/ unless RAG_SCREENSHOTS says otherwise:
scripts/update-screenshots.sh writes docs/screenshots/). Shapes holding markup, and an LLM's
answer with its shape beside it, are checked with routed stream answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.test_widget_browser import (SHOTS, ask, corpus_world, opened_widget,
                                               pytestmark as browser_mark)

pytestmark = [pytest.mark.slow, browser_mark]

READ_KEY = "shapes-read-key-0123456789"
CORPUS = Path(__file__).parents[1] / "rag" / "shape_corpus"
PROCEDURE = "How do I set up the VPN on my laptop?"
STEPS = ["Open the Software Centre and install the Pulse Secure client.",
         "Start Pulse Secure and click the plus sign to add a connection.",
         "Enter vpn.example.org as the server URL and save.",
         "Click Connect and sign in with your staff account.",
         "Approve the sign-in request on your phone."]


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    with corpus_world(tmp_path_factory, embedder, CORPUS, READ_KEY) as world:
        yield world


@pytest.fixture
def page(served, browser):
    with opened_widget(browser, served[1]) as opened:
        yield opened


def _answered(page, question: str):
    """A new conversation, the question asked, and its finished answer's bubble."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="New conversation").click()
    ask(page, question)
    bot = page.locator(".msg.bot").last
    expect(bot.get_by_role("button", name="Copy answer")).to_be_visible(timeout=90_000)
    return bot


def _shot(page, bot, name: str) -> None:
    """The panel, scrolled to the question, as docs/screenshots/widget-shape-<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".log").evaluate(
        "(log) => { log.scrollTop = log.lastElementChild.previousElementSibling.offsetTop - 8; }")
    page.locator("#rag-panel").screenshot(path=str(SHOTS / f"widget-shape-{name}.png"))


def test_procedure_steps_in_order_each_cited(page):
    from playwright.sync_api import expect

    bot = _answered(page, PROCEDURE)
    steps = bot.locator(".shape.procedure ol.steps > li")
    expect(steps).to_have_count(len(STEPS))
    assert [t.rsplit(" ", 1)[0] for t in steps.all_inner_texts()] == STEPS  # text, then "1"
    assert [steps.nth(k).evaluate("li => li.value") for k in range(5)] == [1, 2, 3, 4, 5]
    for k in range(5):
        expect(steps.nth(k).locator("button.cite")).to_have_attribute("data-n", "1")
    _shot(page, bot, "procedure")
    # A step's marker opens the cited passage with that step highlighted.
    steps.nth(2).locator("button.cite").click()
    viewer = page.locator(".viewer")
    expect(viewer.locator("mark.support")).to_have_text(STEPS[2])
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()


@pytest.mark.parametrize("question, badge, sentence", [
    ("Can I work from home every day?", "No", "Working from home every day is not permitted"),
    ("Can I claim money for a desk chair?", "Yes", "Staff can claim up to 150 euros"),
])
def test_yes_no_badge_before_the_deciding_sentence(page, question, badge, sentence):
    from playwright.sync_api import expect

    bot = _answered(page, question)
    decides = bot.locator(".shape.yes_no p.decides")
    verdict = decides.locator(".verdict")
    expect(verdict).to_have_text(badge)
    expect(verdict).to_have_class(f"verdict {badge.lower()}")
    assert verdict.evaluate("b => b === b.parentNode.firstChild")
    expect(decides).to_contain_text(sentence)
    expect(decides.locator("button.cite")).to_have_count(1)
    if badge == "No":
        _shot(page, bot, "yes-no")


def _plan_sides(sides) -> None:
    """The Basic plan's sentence, then the Pro plan's, each labelled and cited."""
    from playwright.sync_api import expect

    expect(sides).to_have_count(2)
    expect(sides.nth(0).locator("h4")).to_have_text("Basic plan")
    expect(sides.nth(0)).to_contain_text("costs 10 euros")
    expect(sides.nth(1).locator("h4")).to_have_text("Pro plan")
    expect(sides.nth(1)).to_contain_text("costs 25 euros")
    for k in range(2):
        expect(sides.nth(k).locator("button.cite")).to_have_count(1)


@pytest.mark.parametrize("question, badge", [
    ("Do the Basic plan and the Pro plan both include single sign-on?", "No"),
    ("Do the Basic plan and the Pro plan both include storage?", "Yes"),
])
def test_yes_no_about_two_subjects_shows_a_sentence_of_each(page, question, badge):
    from playwright.sync_api import expect

    bot = _answered(page, question)
    shape = bot.locator(".shape.yes_no")
    expect(shape.locator("p.decides .verdict")).to_have_text(badge)
    sides = shape.locator(".side")
    _plan_sides(sides)
    if badge == "No":
        _shot(page, bot, "yes-no-two-subjects")


def test_comparison_two_sides_side_by_side(page):
    from playwright.sync_api import expect

    bot = _answered(page, "What is the difference between the Basic plan and the Pro plan?")
    sides = bot.locator(".shape.comparison .side")
    _plan_sides(sides)
    left, right = sides.nth(0).bounding_box(), sides.nth(1).bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
    _shot(page, bot, "comparison")


def test_list_every_item_and_the_note(page):
    from playwright.sync_api import expect

    bot = _answered(page, "Which documents do I need for a building pass?")
    items = bot.locator(".shape.list ul.items > li")
    expect(items).to_have_count(3)
    assert [t.rsplit(" ", 1)[0] for t in items.all_inner_texts()] == [
        "a photo ID such as a passport", "your signed contract", "a recent passport photo"]
    expect(bot.locator(".shape-note")).to_have_count(0)

    bot = _answered(page, "On which four floors are the meeting rooms?")
    items = bot.locator(".shape.list ul.items > li")
    # waits for the list to be drawn before reading it; on failure, says what was drawn instead
    expect(items, f"the answer drawn: {bot.inner_text()!r}").to_have_count(3)
    assert [t.rsplit(" ", 1)[0] for t in items.all_inner_texts()] == [
        "first", "second", "third floors"]
    expect(bot.locator(".shape-note")).to_have_text("Only 3 found")
    _shot(page, bot, "list")


def test_trend_table_in_date_order_with_the_change(page):
    from playwright.sync_api import expect

    bot = _answered(
        page, "How has the average time to process retirement claims changed from 2017 to 2019?")
    table = bot.locator(".shape.trend table.trend")
    expect(table.locator("thead th")).to_have_text(["Period", "Value", "Source"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(k).locator("th").inner_text() for k in range(3)] == ["2017", "2018", "2019"]
    assert [rows.nth(k).locator("td.value").inner_text() for k in range(3)] == ["52", "61", "74"]
    assert [rows.nth(k).locator("button.cite").get_attribute("data-n")
            for k in range(3)] == ["1", "2", "3"]
    expect(bot.locator(".shape-note")).to_have_text("It rose from 52 in 2017 to 74 in 2019.")
    sources = bot.get_by_role("list", name="Sources").locator("li")
    expect(sources).to_have_count(3)
    _shot(page, bot, "trend")


def test_explanation_as_a_cited_paragraph_and_a_factoid_unchanged(page):
    from playwright.sync_api import expect

    bot = _answered(page, "Why do passwords expire?")
    paragraph = bot.locator(".shape.explanation p.explained")
    expect(paragraph).to_contain_text(
        "Old passwords are the most common way into an account after a breach elsewhere.")
    assert paragraph.locator("button.cite").count() >= 2  # one marker per sentence
    _shot(page, bot, "explanation")

    bot = _answered(page, "Who launched the Pro plan?")
    expect(bot.locator(".text > .short")).to_have_text("Dana Whitfield 1")
    expect(bot.locator(".shape")).to_have_count(0)


def _routed(page, done: dict) -> None:
    body = (f"event: delta\ndata: {json.dumps({'text': done['answer']})}\n\n"
            f"event: done\ndata: {json.dumps(done)}\n\n")
    page.route("**/v1/ask/stream", lambda route: route.fulfill(
        status=200, body=body, headers={"Content-Type": "text/event-stream",
                                        "Access-Control-Allow-Origin": "*"}))


def _done(answer: str, shape: dict, generator: str = "extractive") -> dict:
    return {"answer_id": "a" * 32, "question": "q", "standalone_question": "q",
            "answer": answer, "refused": False, "prompt_version": "v1",
            "generator": generator, "timings_ms": {}, "short_answer": None, "shape": shape,
            "citations": [{"n": 1, "doc_id": "d.txt", "title": "D", "text": "passage",
                           "start": 0, "end": 7, "score": 1.0, "chunk_id": "c", "spans": []}]}


def _item(text: str, label: str = "", value: str = "") -> dict:
    return {"text": text, "citation": 1, "start": 0, "end": 7, "label": label, "value": value}


MARKUP = '<img src=x onerror="window.__xss=\'{}\'">'


@pytest.mark.parametrize("kind", ["procedure", "explanation", "yes_no", "comparison", "list",
                                  "trend", "changes"])
def test_shapes_holding_markup_are_shown_as_text(page, kind):
    from playwright.sync_api import expect

    bad = MARKUP.format(kind)
    shape = {"kind": kind, "items": [_item(bad + " one", bad, bad), _item("two", "B", "2")],
             "table": None, "verdict": None, "note": bad}
    _routed(page, _done(f"{bad} one [1]\ntwo [1]", shape))
    bot = _answered(page, "q?")
    expect(bot.locator(".shape")).to_contain_text('<img src=x onerror="window.__xss')
    assert page.locator(".panel img").count() == 0
    assert page.evaluate("window.__xss") is None
    expect(bot.locator(".verdict")).to_have_count(0)  # yes_no without a verdict: no badge


def test_an_llm_answer_is_kept_with_its_shape_below(page):
    from playwright.sync_api import expect

    shape = {"kind": "procedure", "items": [_item("Open it.", "1"), _item("Close it.", "2")],
             "table": None, "verdict": None, "note": ""}
    _routed(page, _done("First open it, then close it. [1]", shape, generator="llm"))
    bot = _answered(page, "How do I?")
    expect(bot.locator(".text")).to_contain_text("First open it, then close it.")
    expect(bot.locator(".shape ol.steps > li")).to_have_count(2)


def test_a_procedures_introducing_sentence_is_not_a_step(page):
    """One command and the sentence introducing it (rag.shapes.procedure._introduced): the
    sentence above the list, the command its only step."""
    from playwright.sync_api import expect

    shape = {"kind": "procedure", "items": [_item("To remove every cached file, run:"),
                                            _item("pip cache purge", "1")],
             "table": None, "verdict": None, "note": ""}
    _routed(page, _done("To remove every cached file, run: [1]\n1. pip cache purge [1]", shape))
    bot = _answered(page, "How do I empty the cache?")
    expect(bot.locator(".shape p.intro")).to_have_text("To remove every cached file, run: 1")
    expect(bot.locator(".shape ol.steps > li")).to_have_count(1)
    expect(bot.locator(".shape ol.steps > li")).to_have_text("pip cache purge 1")
