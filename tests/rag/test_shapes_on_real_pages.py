"""Every shape builder over every passage of real pages: none raises, and every piece it cites is
its passage's own text at the offsets it names. The pages are the two how-to corpora in the
repository (eval/corpora/help_docs: pip's MyST pages, READMEs, plain-text FAQs, valgrind's HTML;
eval/corpora/project_docs), read by the real loaders and cut into windows as chunks are.
pip's "```{versionadded} 6.0" followed by an empty fence made the list builder raise IndexError
(a 500 for every list question over such a page) until rag.shapes.text.blocks dropped empty
blocks. No model: the sentences are scored by their order, best first, and by a shuffle."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from index.loaders import discover, load_document
from rag.generators.extractive import ScoredSentence, trim
from rag.sentences import reflowed, split_sentences
from rag.shapes import BUILDERS, QuestionKind, ShapeInput
from rag.shapes.pairs import Pair
from rag.types import Passage
from tests.helpers import ROOT

CORPORA = [ROOT / "eval" / "corpora" / name / "corpus" for name in ("help_docs", "project_docs")]
WINDOW, STEP = 1600, 1200  # about a chunk, overlapping as chunks do
QUESTIONS = {
    "procedure": (QuestionKind("procedure"), "How do I configure the cache and the index?"),
    "explanation": (QuestionKind("explanation"), "Why does the install fail with an error?"),
    "yes_no": (QuestionKind("yes_no", predicates=frozenset({"us", "delet", "run"})),
               "Can I use it to delete files or run a server?"),
    "yes_no_pair": (QuestionKind("yes_no", pair=Pair("pip", "redis", "supported",
                                                     key="supported")),
                    "Are pip and redis both supported?"),
    "yes_no_same": (QuestionKind("yes_no", pair=Pair("pip", "redis", "version", same=True)),
                    "Do pip and redis have the same version?"),
    "comparison": (QuestionKind("comparison", sides=("cache", "index")),
                   "What is the difference between the cache and the index?"),
    "list": (QuestionKind("list", count=3, head="options"),
             "Which three options are supported?"),
    "trend": (QuestionKind("trend"), "How has the number of files changed over the last years?"),
}


def _windows() -> list[tuple[str, str, str]]:
    out = []
    for corpus in CORPORA:
        for path in discover(corpus):
            doc = load_document(path, corpus)
            for start in range(0, max(1, len(doc.text) - STEP), STEP):
                out.append((doc.doc_id, doc.title, doc.text[start:start + WINDOW]))
    return out


WINDOWS = _windows()


def _input(key: str, texts: list[tuple[str, str, str]], shuffle: bool) -> ShapeInput:
    kind, question = QUESTIONS[key]
    passages = [Passage(f"c{i}", doc_id, title, text, 0, len(text), 0.5)
                for i, (doc_id, title, text) in enumerate(texts)]
    sentences = [(trim(s.text), n) for n, p in enumerate(passages, 1)  # as the evidence stage
                 for s in split_sentences(reflowed(p.text)) if len(s.text.split()) >= 4]
    if shuffle:
        random.Random(len(sentences)).shuffle(sentences)
    scored = [ScoredSentence(t, n, i, 0.9 - i / (len(sentences) + 1), 0.5)
              for i, (t, n) in enumerate(sentences)]
    return ShapeInput(question, kind, passages, scored, read=None,
                      entities=lambda text: ())


def test_the_corpora_are_read():
    assert len(WINDOWS) > 100
    assert any("```{versionadded}" in text for _, _, text in WINDOWS)


@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_no_builder_raises_and_each_piece_is_its_passages_text(key, shuffle):
    build = BUILDERS[QUESTIONS[key][0].kind]
    built = 0
    for at in range(0, len(WINDOWS), 3):  # three neighbouring windows as the passages
        inp = _input(key, WINDOWS[at:at + 3], shuffle)
        shaped = build(inp)
        if shaped is None:
            continue
        built += 1
        for piece in shaped.pieces:
            text = inp.passages[piece.passage - 1].text
            if piece.start >= 0:
                assert " ".join(text[piece.start:piece.end].split()) == \
                    " ".join(piece.text.split()), (key, piece)
    assert built or key in ("trend", "yes_no_pair", "yes_no_same"), key  # the others find something to shape
