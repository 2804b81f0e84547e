"""The knowledge-gap report: grouping logic with a fake encoder (fast), then the real encoder
grouping paraphrases, and the report over real HTTP and through `rag gaps`."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from eval.dataset import load_qa
from index.errors import InputError, NotFoundError
from rag.feedback import FeedbackStore, Miss, feedback_path
from rag.gaps import find_gaps, find_group, gold_candidates, parse_since
from tests.helpers import LiveServer, make_settings
from tests.helpers import run_cli as rag


def miss(n: int, question: str, refused: bool = True, rating=None, at: float = 0.0) -> Miss:
    return Miss(f"a{n}", 1_700_000_000.0 + (at or n), question, question, refused, rating, "")


def topic_embed(texts):
    """A fake encoder: one axis per topic word, so grouping is known in advance."""
    axes = ("budget", "population", "vaccine")
    return np.array([[1.0 if w in t.lower() else 0.0 for w in axes] + [0.01] for t in texts])


def test_misses_group_by_topic_largest_first_with_counts_and_dates():
    misses = [miss(1, "What is the committee's budget?"),
              miss(2, "what is the committee's budget"),  # the same question, merged
              miss(3, "How large is the budget of the committee?", refused=False, rating="down"),
              miss(4, "What is the population of Mexico City?"),
              miss(5, "Which vaccine brand was donated?", at=99)]
    groups = find_gaps(misses, topic_embed)
    assert [g.count for g in groups] == [3, 1, 1]
    budget = groups[0]
    assert budget.refused == 2 and budget.rated_down == 1
    assert budget.label == "what is the committee's budget"  # asked twice: the medoid
    assert len(budget.questions) == 2 and budget.answer_ids == ("a1", "a2", "a3")
    assert budget.first < budget.last
    assert groups[1].label.startswith("Which vaccine")  # equal counts: the latest first
    assert find_group(groups, budget.id) is budget
    # the id is the label's: it stays while the group grows
    grown = find_gaps([*misses, miss(6, "Budget of the committee?")], topic_embed)
    assert grown[0].id == budget.id and grown[0].count == 4
    with pytest.raises(NotFoundError, match="rag gaps"):
        find_group(groups, "nope")


def test_no_misses_no_groups_and_bad_inputs_are_named():
    assert find_gaps([], topic_embed) == []
    assert len(find_gaps([miss(1, "Only one?")], topic_embed)) == 1
    with pytest.raises(InputError, match="max_distance"):
        find_gaps([miss(1, "x")], topic_embed, max_distance=0)
    with pytest.raises(InputError, match="since must be a date"):
        parse_since("last tuesday")
    assert parse_since("2026-11-30") == parse_since("2026-11-30T00:00:00+00:00")
    assert parse_since(None) is None


def test_a_group_exports_as_gold_candidates(tmp_path):
    group = find_gaps([miss(1, "What is the committee's budget?"),
                       miss(2, "How big is the committee budget?")], topic_embed)[0]
    out = tmp_path / "gap.jsonl"
    out.write_text(gold_candidates(group))
    items = load_qa(out)  # the eval suite reads it as it is
    assert {i.question for i in items} == set(group.questions)
    assert all(i.answers == () and i.extra["needs_review"] and i.extra["gap"] == group.id
               for i in items)


def test_the_store_lists_refusals_and_answers_rated_down_last(tmp_path, seeded):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    refused = store.record_answer(seeded.answers.answer("What is the capital of Canada?"))
    good = seeded.answers.answer("How many migrants did Border Patrol apprehend in November?")
    down, up, changed = (store.record_answer(good) for _ in range(3))
    store.add_feedback(down, "down", "wrong month")
    store.add_feedback(up, "up")
    store.add_feedback(changed, "down")
    store.add_feedback(changed, "up")  # the latest rating counts
    found = store.misses()
    assert [m.answer_id for m in found] == [refused, down]
    assert found[0].refused and found[0].rating is None
    assert found[1].rating == "down" and found[1].comment == "wrong month"
    assert store.misses(since=found[1].created_at + 1) == []


# Three things the sample corpus does not say, each asked in other words. (MiniLM does not
# bridge far paraphrases: "funding of the synthetic drugs committee" is as far from these as
# the population question is, cosine distance about 0.5, so it would stand alone.)
GAPS = {
    "budget": ["What is the annual budget of the US-Mexico fentanyl committee?",
               "How much money does the trilateral fentanyl committee get each year?",
               "How large is the yearly budget of the fentanyl committee?"],
    "population": ["What is the population of Mexico City?",
                   "How many people live in Mexico City?"],
    "vaccine": ["Which vaccine brand did the United States donate to Mexico?"],
}


def test_the_real_encoder_groups_paraphrases(embedder):
    misses = [miss(i, q) for i, q in enumerate(q for qs in GAPS.values() for q in qs)]
    groups = find_gaps(misses, embedder.embed)
    found = sorted(sorted(g.questions) for g in groups)
    assert found == sorted(sorted(qs) for qs in GAPS.values())


ADMIN_KEY = "admin-key-0123456789abcdef"
READ_KEY = "read-key-0123456789abcdef"


def test_gap_report_over_http_and_the_command(tmp_path, embedder, corpus_dir):
    from rag.factory import build_pipeline
    from service.app import create_app

    data = tmp_path / "data"
    settings = make_settings(data, server={"read_api_key": READ_KEY,
                                           "admin_api_key": ADMIN_KEY})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir)
    read, admin = {"X-API-Key": READ_KEY}, {"X-API-Key": ADMIN_KEY}
    with LiveServer(create_app(settings, pipeline)) as server:
        ids = {}
        for topic, questions in GAPS.items():
            for q in questions:
                r = httpx.post(f"{server.url}/v1/ask", json={"question": q}, headers=read,
                               timeout=60)
                assert r.status_code == 200, r.text
                ids[q] = r.json()["answer_id"]
        answered = httpx.post(f"{server.url}/v1/ask", headers=read, timeout=60, json={
            "question": "How many migrants did Border Patrol apprehend in November?"}).json()
        assert not answered["refused"]
        r = httpx.post(f"{server.url}/v1/feedback", headers=read, timeout=30,
                       json={"answer_id": answered["answer_id"], "rating": "down",
                             "comment": "I meant October"})
        assert r.status_code == 201
        # refusals are what the gate decides; the report takes whatever was refused
        refused = {q for q in ids if q in {m.question for m in
                                            FeedbackStore(feedback_path(data)).misses()}}
        assert len(refused) >= 4, refused

        assert httpx.get(f"{server.url}/v1/gaps", timeout=30).status_code == 401
        denied = httpx.get(f"{server.url}/v1/gaps", headers=read, timeout=30)
        assert denied.status_code == 403
        r = httpx.get(f"{server.url}/v1/gaps", headers=admin, timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["misses"] == len(refused) + 1
        questions = [set(g["questions"]) for g in body["groups"]]
        for qs in GAPS.values():  # no group mixes topics
            assert sum(bool(set(qs) & g) for g in questions) <= 1
        down = next(g for g in body["groups"] if g["rated_down"])
        assert down["examples"][0]["comment"] == "I meant October"
        assert all(g["first"].endswith("Z") for g in body["groups"])
        bad = httpx.get(f"{server.url}/v1/gaps", params={"since": "yesterday"}, headers=admin,
                        timeout=30)
        assert bad.status_code == 422 and "since must be a date" in bad.json()["error"]["message"]
        later = httpx.get(f"{server.url}/v1/gaps", params={"since": "2999-01-01"},
                          headers=admin, timeout=30)
        assert later.json()["groups"] == []
        first = body["groups"][0]
        r = httpx.get(f"{server.url}/v1/gaps/{first['id']}/export", headers=admin, timeout=60)
        assert r.status_code == 200
        rows = [json.loads(line) for line in r.text.splitlines()]
        assert {row["question"] for row in rows} == set(first["questions"])
        missing = httpx.get(f"{server.url}/v1/gaps/nope/export", headers=admin, timeout=60)
        assert missing.status_code == 404

    net = tmp_path / "net.txt"
    text = rag("gaps", data_dir=data, netlog=net)
    assert text.returncode == 0, text.stderr
    assert f"{body['misses']} questions not served" in text.stdout
    assert f"[{first['id']}]" in text.stdout
    as_json = json.loads(rag("gaps", "--json", data_dir=data, netlog=net).stdout)
    assert [g["id"] for g in as_json["groups"]] == [g["id"] for g in body["groups"]]
    out = tmp_path / "candidates.jsonl"
    done = rag("gaps", "--export", first["id"], "--out", str(out), data_dir=data, netlog=net)
    assert done.returncode == 0, done.stderr
    assert {i.question for i in load_qa(out)} == set(first["questions"])
    wrong = rag("gaps", "--since", "soon", data_dir=data, netlog=net)
    assert wrong.returncode == 2 and "since must be a date" in wrong.stderr
    empty = rag("gaps", data_dir=tmp_path / "none", netlog=net)
    assert empty.returncode == 2 and "no answers recorded yet" in empty.stderr
