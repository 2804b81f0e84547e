"""Three answer-shape rules through the real pipeline (the bundled encoder, spaCy, Chroma in a temp
dir), each over a few real documents, each with a question whose outcome the rule decides:

- a reference list's item holding half the best item's key terms and one of the best scored
  sentences is kept beside the key-term best (rag.shapes.procedure.asked_items, ``held``): the
  project's own docs (eval/corpora/project_docs), "how do I revoke an API key that leaked?";
- the refusal gate's exception for a procedure question whose section's steps follow an
  introducing line that is one of the best two scored sentences (rag.shapes.procedure.answers):
  the same docs, "how do I share one index between several API replicas?", refused without it;
- an explanation read from the paragraph of the sentence the answer reads first, not the best
  scored one's (rag.shapes.explanation, ``ShapeInput.read``): covidqa's covid_2683.txt
  (../shared/benchmarks/covidqa), two of its gold questions.

Without each rule its test fails (checked by disabling the rule in a working copy)."""

from __future__ import annotations

import re

import pytest

from tests.helpers import ROOT, SHARED, pipeline_over_pages

pytestmark = pytest.mark.slow

PROJECT_DOCS = ROOT / "eval" / "corpora" / "project_docs" / "corpus"
DOCS = ("README.md", "collections.md", "ingestion.md")
COVID = ("covid_2683.txt",)


def _pipeline(tmp_path_factory, embedder, source, names, label):
    return pipeline_over_pages(tmp_path_factory, embedder, source, names, label)


@pytest.fixture(scope="module")
def docs(tmp_path_factory, embedder):
    """The project's docs: the README (keys, scale-out), collections and ingestion."""
    return _pipeline(tmp_path_factory, embedder, PROJECT_DOCS, DOCS, "project-docs")


@pytest.fixture(scope="module")
def covid(tmp_path_factory, embedder):
    """covidqa's report on the impact of interventions in 11 European countries."""
    return _pipeline(tmp_path_factory, embedder, SHARED / "benchmarks" / "covidqa" / "corpus",
                     COVID, "covidqa")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cited(pipeline, answer, item):
    """The item reads the same in its cited document, inside the cited passage."""
    c = next(c for c in answer.citations if c.n == item.citation)
    text = pipeline.store.document_text(c.doc_id)
    assert _flat(text[item.start:item.end]) == _flat(item.text)
    assert c.start <= item.start < item.end <= c.end
    return c


@pytest.mark.parametrize("question, command", [
    ("How do I revoke an API key that leaked?", "`rag keys revoke NAME`"),
    ("How do I create an API key that can only see one collection?", "`rag keys create --name"),
])
def test_a_reference_items_holding_a_best_sentence_is_among_the_steps(docs, question, command):
    """The README's "Keys, limits, logs, workers" list: by key terms alone its **Collections.**
    item is the best (it holds "api", "key" and "leak"; "leak" of leak tests), and the **Named
    keys.** item, which says how, holds fewer but at least half as many; it holds one of the
    best five scored sentences, so it is kept (without the rule the answer is the Collections
    item alone)."""
    answer = docs.answers.answer(question)
    assert not answer.refused, answer.answer
    assert answer.shape is not None and answer.shape.kind == "procedure", answer.answer
    named = [i for i in answer.shape.items if command in i.text]
    assert named, [i.text[:60] for i in answer.shape.items]
    labelled = [i for i in named if i.text.startswith("**Named keys.**")]
    assert len(labelled) == 1, [i.text[:60] for i in named]  # (a command table's row may follow)
    item = labelled[0]
    assert _cited(docs, answer, item).doc_id == "README.md"
    assert command in answer.answer


def test_the_other_way_of_doing_it_from_another_reference_table(docs):
    """The README's command table gives `rag collections create NAME`; its HTTP table gives the
    route that does the same, which holds one of the best scored sentences: it follows as the
    other way (rag.shapes.procedure.other_ways), once, though overlapping passages repeat the
    command table."""
    answer = docs.answers.answer("How do I create a new collection?")
    assert not answer.refused, answer.answer
    assert answer.shape is not None and answer.shape.kind == "procedure", answer.answer
    texts = [" ".join(i.text.split()) for i in answer.shape.items]
    assert texts[0].startswith("`rag collections create NAME`"), texts
    assert any(t.startswith("`POST /v1/collections`") for t in texts[1:]), texts
    assert len(set(texts)) == len(texts), texts
    for item in answer.shape.items:
        _cited(docs, answer, item)


REPLICA_STEPS = [
    ".venv/bin/chroma run --path /srv/chroma --host 127.0.0.1 --port 8001",
    "RAG_STORE__MODE=server RAG_STORE__HOST=127.0.0.1 RAG_STORE__PORT=8001 rag ingest /corpus",
    "RAG_STORE__MODE=server RAG_STORE__HOST=127.0.0.1 RAG_STORE__PORT=8001 rag serve",
]


def test_a_refused_procedure_is_answered_by_the_steps_its_best_sentence_introduces(docs):
    """The best scored sentence, "To share one index between replicas, run a Chroma server and
    point the service at it:", introduces the README's code block; the section holds two of
    the three key terms. The gate alone refuses the question; its exception answers it with
    that block's commands, in order, each cited."""
    answer = docs.answers.answer("How do I share one index between several API replicas?")
    assert not answer.refused, answer.answer
    assert answer.shape is not None and answer.shape.kind == "procedure", answer.answer
    assert [i.text for i in answer.shape.items] == REPLICA_STEPS
    assert [i.label for i in answer.shape.items] == ["1", "2", "3"]
    for item in answer.shape.items:
        assert _cited(docs, answer, item).doc_id == "README.md"
    # the steps are the ones the introducing line leads into
    first = answer.shape.items[0]
    text = docs.store.document_text("README.md")
    lead = text[:first.start].rstrip().removesuffix("```bash").rstrip()
    assert _flat(lead).endswith("To share one index between replicas, run a Chroma server and "
                                "point the service at it:"), lead[-200:]
    assert answer.answer.index(REPLICA_STEPS[0]) < answer.answer.index(REPLICA_STEPS[2])


def _one_paragraph(pipeline, answer):
    """The shape's pieces, checked to be cited and to stand in one paragraph of one document,
    in order."""
    items = answer.shape.items
    assert items, f"an explanation without its sentences: {answer.answer}"
    cited = {_cited(pipeline, answer, i).doc_id for i in items}
    assert len(cited) == 1, cited
    text = pipeline.store.document_text(cited.pop())
    assert [i.start for i in items] == sorted(i.start for i in items)
    span = text[items[0].start:items[-1].end]
    assert not re.search(r"\n\s*\n", span), span
    return [i.text for i in items]


def test_an_explanation_is_read_from_the_paragraph_read_first(covid):
    """covidqa_869: the best scored sentence stands in the paragraph on interventions that work
    better or worse in other countries; the answer reads first "The close spacing of
    interventions in time made it statistically impossible ...", and the explanation is that
    sentence's paragraph (the best scored one's without the rule)."""
    answer = covid.answers.answer(
        "Why is it statistically impossible to determine which individual intervention had the "
        "greatest effect on reducing the coronavirus reproduction number?")
    assert not answer.refused, answer.answer
    assert answer.shape is not None and answer.shape.kind == "explanation", answer.answer
    texts = _one_paragraph(covid, answer)
    assert texts[0].startswith("The close spacing of interventions in time made it "
                               "statistically impossible"), texts
    assert len(texts) >= 2
    assert not any(t.startswith("If interventions in countries at earlier stages") for t in texts)
    assert answer.answer.startswith("The close spacing of interventions in time")


def test_an_explanation_is_built_where_the_read_sentence_stands(covid):
    """covidqa_862: the sentence read first, "It is too early to detect substantial
    intervention impact ...", stands in a paragraph of consecutive explaining sentences; the
    explanation is built from there (without the rule, from the best scored sentence's place,
    none is built)."""
    answer = covid.answers.answer(
        "Why is there high uncertainty in estimating the impact of interventions against the "
        "coronavirus?")
    assert not answer.refused, answer.answer
    assert answer.shape is not None and answer.shape.kind == "explanation", answer.answer
    texts = _one_paragraph(covid, answer)
    assert texts[0] == "There remains a high level of uncertainty in these estimates.", texts
    assert any(t.startswith("It is too early to detect substantial intervention impact")
               for t in texts), texts
