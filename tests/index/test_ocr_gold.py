"""OCR against gold: a scanned copy of a shared trial protocol answers its gold questions as the
original does (issue 24: "a scanned copy of a sample PDF answers the same gold questions as the
original with the same documents cited").

``NCT06152367_Prot_000.pdf`` (21 pages, a text layer, two ruled tables) is scanned as a copier
would (tests/scans.py: pdftoppm at ``SCAN_DPI`` grey, rebuilt by img2pdf: images only, no text
layer). The original and the scan are each indexed in their own data directory beside the same
three other protocols of the shared corpus (oncology and haematology, so retrieval has to choose;
only the scan needs OCR) with the real bundled model and Chroma, and each of the protocol's 9 gold
questions (7 answerable, 2 unanswerable) is asked of both. For every question the scan's answer
refuses when the original's does, cites the same document first, and states a gold answer
(eval.metrics.contains_gold) wherever the original's does.

Measured (main at 52bbc3c): 8 of the 9 agree on all three. The ninth, ``trial_021`` (grade 3
hypotension in Table 1), is a known difference, asserted as it stands in ``KNOWN``: it is not OCR
noise (the row reads "Hypotension 205 (39%) 15 (3%) 375 (71%)", every figure right) but the
table. The original's Table 1 is ruled with vector lines, so pdfplumber makes it a table and the
row is indexed as "Hypotension | GRADE 3: 205 (39%) | GRADE 4: ..."; a scan's rules are pixels,
so the row stays a line of figures without its column names, falls out of the best sentences,
and the refusal gate's figure_missing veto refuses. The original answers with that row, its gold
figure stated (it answered with the table's caption before captions became labels and quotes
were found whatever their spacing: rag/selection.py, rag/grounding.py). Tables on scanned pages are not found yet; when they are, this test fails and
``KNOWN`` is to be emptied.

Since chunks keep table rows and lines whole (index/chunking.py, 6cf5ed1) the original's chunks
and the scan's (whose lines break elsewhere) no longer fall at the same places, and
``trial_018`` (the day of the third vaccine dose) is answered from other sentences: the original
states the gold "day 30", the scan answers "two days" (both cite the protocol first, neither
refuses). Pinned in ``ANSWER_DIFFERS``.

Since list questions are judged by the question's focus and the focused re-read is on for them
(rag/shapes/listing.py, rag/retrieval/focus.py, 7a833e9), the original answers ``trial_020``
(the secondary outcome measures) with its bulleted list, every gold item stated. Tesseract
reads that list's bullets as "e" ("e Overall Survival."), and other lists' as "¢"; the OCR
text is tidied to bullets again (index/readers/ocr.py), so the scan answers ``trial_020`` with
the same list (it was pinned in ``ANSWER_DIFFERS`` before).

The scan's text must also hold at least 98 % of the words (lowercased alphanumerics, in order:
tests.scans.word_accuracy) of the original's text layer (pypdf), and the record must carry its
OCR pages and seconds. Figures: docs/ingestion.md, "PDFs: tables and OCR".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_qa
from eval.metrics import contains_gold
from tests.helpers import ROOT, SHARED
from tests.scans import needs_ocr_tools, scanned, word_accuracy

CORPUS = SHARED / "benchmarks/trial_protocols/corpus"
PROTOCOL = "NCT06152367_Prot_000.pdf"  # phase II dendritic cells + low-dose IL-2, melanoma
NEIGHBOURS = ("NCT06158269_Prot_000.pdf",  # phase II daratumumab regimen, multiple myeloma
              "NCT06145295_Prot_SAP_000.pdf",  # online support group, ovarian cancer
              "NCT06149832_Prot_000.pdf")  # stem-cell dressing, oral graft-versus-host disease
GOLD = ROOT / "eval/gold/trial_protocols_qa.jsonl"
SCAN_DPI = 200  # OCR'd as well as 300 dpi (word share 0.998 both) and a third faster
MIN_WORD_SHARE = 0.98  # measured 0.985: superscripts (10^6 read "10°"), "CT005" read "CTO00S5"
# Questions whose scan answers differently, with (original refused, scan refused, original states
# gold): asserted exactly, so a change either way fails (see the module doc).
KNOWN: dict[str, tuple[bool, bool, bool]] = {}
# (refused x2, first cited x2 as in every other row) but the gold stated by the original only:
# since the original's wrapped lines are read as sentences, its answers to these two hold the
# gold and the scan's OCR errors ("10°6" for "10^6", "CTO00S5") keep it from the scan's
ANSWER_DIFFERS = {"trial_021", "trial_022"}


def gold_items():
    return [q for q in load_qa(GOLD) if PROTOCOL in q.doc_ids]


def index_and_ask(folder: Path, files: dict[str, bytes], embedder, questions: list[str]):
    """Index ``files`` in a fresh data directory under ``folder``; the pipeline and its answers."""
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    pipeline = build_pipeline(make_settings(folder / "data"), embedder=embedder)
    report = pipeline.ingest.sync(corpus)
    assert report.failed == {} and sorted(report.added) == sorted(files), report
    return pipeline, [pipeline.answers.answer(q) for q in questions]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, embedder):
    """The original's and the scan's pipelines and answers to the gold questions, by name."""
    if not CORPUS.is_dir():
        pytest.fail(f"shared benchmark not found: {CORPUS} (set RAG_SHARED_DIR)")
    needs_ocr_tools()
    original = (CORPUS / PROTOCOL).read_bytes()
    scan = scanned(original, tmp_path_factory.mktemp("pages"), dpi=SCAN_DPI)
    others = {name: (CORPUS / name).read_bytes() for name in NEIGHBOURS}
    questions = [q.question for q in gold_items()]
    out = {}
    for name, data in (("original", original), ("scan", scan)):
        out[name] = index_and_ask(tmp_path_factory.mktemp(name), {PROTOCOL: data, **others},
                                  embedder, questions)
    return out


def first_cited(answer) -> str | None:
    return answer.citations[0].doc_id if answer.citations else None


@pytest.mark.slow  # tesseract on 21 pages, the real model and two Chroma indexes
def test_the_scanned_protocol_answers_its_gold_questions_like_the_original(runs):
    items = gold_items()
    assert len(items) == 9
    rows, wrong = [], []
    for item, plain, ocrd in zip(items, runs["original"][1], runs["scan"][1]):
        row = (item.id, plain.refused, ocrd.refused, first_cited(plain), first_cited(ocrd),
               contains_gold(plain.answer, item.answers), contains_gold(ocrd.answer, item.answers))
        rows.append(row)
        if item.id in KNOWN:
            if (row[1], row[2], row[5]) != KNOWN[item.id] or row[3] != PROTOCOL:
                wrong.append((row, plain.answer, ocrd.answer))
        elif row[1] != row[2] or row[3] != row[4]:
            wrong.append((row, plain.answer, ocrd.answer))
        elif (row[5] and not row[6]) != (item.id in ANSWER_DIFFERS):
            wrong.append((row, plain.answer, ocrd.answer))
    print("\n".join(map(str, rows)))  # (id, refused, refused, first cited x2, states gold x2)
    assert not wrong, "\n".join(map(str, wrong))
    assert sum(r[1] == r[2] and r[3] == r[4] for r in rows) == len(items) - len(KNOWN)


@pytest.mark.slow  # shares the indexes above
def test_the_scan_is_read_by_ocr_with_the_originals_words(runs):
    from pypdf import PdfReader

    original_store, scan_store = runs["original"][0].store, runs["scan"][0].store
    record = scan_store.documents()[PROTOCOL]
    assert record.extra["ocr_pages"] == list(range(1, 22)) and record.extra["pages"] == 21
    assert "ocr_pages" not in original_store.documents()[PROTOCOL].extra
    seconds = record.extra["ocr_seconds"]
    layer = "\n\n".join(page.extract_text() for page in PdfReader(CORPUS / PROTOCOL).pages)
    share = word_accuracy(layer, scan_store.document_text(PROTOCOL))
    print(f"OCR {seconds:.1f} s for 21 pages ({seconds / 21:.2f} s/page); word share {share:.4f}")
    assert share >= MIN_WORD_SHARE
