"""Document context headers (index/context.py): what a first page states, the header in the
embedded text but never in citations, and re-embedding when the setting flips."""

from pathlib import Path

import pytest

from index.context import (ENCODER_PIECES, DocumentContext, document_context, embedded_text,
                           header, heading_path, headings)
from index.loaders import load_document
from rag.factory import build_cleaner, build_pipeline
from tests.helpers import SHARED, make_settings

AGENCY = SHARED / "benchmarks" / "agency_reports" / "corpus"
TRIALS = SHARED / "benchmarks" / "trial_protocols" / "corpus"


def _context_of(path: Path, settings) -> DocumentContext:
    if not path.is_file():
        pytest.fail(f"shared document not found: {path} (set RAG_SHARED_DIR)")
    doc = load_document(path, path.parent)
    clean = build_cleaner(settings).clean(doc)
    return document_context(doc.title, clean.text, doc.doc_id)


@pytest.mark.slow  # reads a 100-page shared PDF (~20 s)
def test_an_agency_report_names_its_agency_and_fiscal_year(settings):
    opm = _context_of(AGENCY / "2015-annual-performance-report.pdf", settings)
    assert opm.subject == "United States Office of Personnel Management"
    assert "Fiscal Year 2015" in " | ".join(opm.parts())
    dol = _context_of(AGENCY / "DOL2022.pdf", settings)
    said = " | ".join(dol.parts())
    assert "U.S. DEPARTMENT OF LABOR" in said and "FY 2022" in said


def test_a_trial_protocol_states_its_nct_id_and_sponsor(settings):
    # the NCT number is printed in the protocol's opening, not only in its file name
    protocol = _context_of(TRIALS / "NCT06147739_Prot_SAP_000.pdf", settings)
    assert protocol.identifier == "NCT06147739"
    consent = _context_of(TRIALS / "NCT06153992_ICF_001.pdf", settings)
    assert consent.subject == "Qianfoshan Hospital"
    assert consent.identifier == "Project number：2021004"


def test_periods_subjects_and_identifiers_in_their_usual_forms():
    text = ("ACME ROBOTICS, INC.\nQuarterly Report\nFor the quarter ended July 1, 2023\n"
            "Acme Robotics, Inc. (the Company) designs robots. Policy No. HX-2231-7 applies.\n")
    ctx = document_context("Form 10-Q", text)
    assert ctx.subject == "Acme Robotics, Inc."
    assert ctx.period == "quarter ended July 1, 2023"
    assert ctx.identifier == "Policy No. HX-2231-7"
    assert ctx.title == "Quarterly Report"  # "Form 10-Q" is not borne out by the text
    assert document_context("It rained. We left early", "It rained. We left early").title == ""
    assert document_context("U.S. Officials Meet", "U.S. Officials Meet\n").title == (
        "U.S. Officials Meet")
    assert document_context("Notes", "fiscal year 2016 results\n").period == "fiscal year 2016"
    assert document_context("", "Report on FY 2022 spending").period == "FY 2022"


def test_the_heading_path_is_the_latest_heading_of_each_level():
    text = ("# Annual Report\nIntro text here.\n## Results of Operations\nRevenue rose.\n"
            "## Liquidity\nCash fell.\n3.2 Eligibility Criteria\nAdults only.\n")
    found = headings(text)
    assert heading_path(found, text.index("Revenue")) == ["Annual Report", "Results of Operations"]
    assert heading_path(found, text.index("Cash")) == ["Annual Report", "Liquidity"]
    assert heading_path(found, text.index("Adults"))[-1] == "3.2 Eligibility Criteria"


def test_the_header_fits_beside_the_chunk_and_drops_headings_first():
    ctx = DocumentContext(title="Quarterly Report", subject="Acme Robotics, Inc.",
                          period="quarter ended July 1, 2023")
    def words(text: str) -> int:  # one "piece" a word: small budgets are easy to reach
        return len(text.split())

    full = header(ctx, ["Results", "Liquidity"], words, 1000)
    assert full == ("Quarterly Report | Acme Robotics, Inc. | quarter ended July 1, 2023 | "
                    "Results > Liquidity")
    assert header(ctx, ["Results", "Liquidity"], words, 14).endswith("2023 | Liquidity")
    assert header(ctx, ["Results"], words, 3) == "Quarterly Report"
    assert header(ctx, [], words, 1) == ""
    assert len(header(ctx, ["x"] * 60, len, 10_000)) <= 40  # never past HEADER_PIECES
    assert embedded_text("Body.", {"context": "Acme"}) == "Acme\nBody."
    assert embedded_text("Body.", {}) == "Body."


FIRST = ("{name}\nQuarterly Report on Form 10-Q\nFor the quarter ended July 1, 2023\n\n"
         "{name} designs and sells industrial robots to manufacturers in North America and "
         "Europe. This report covers the Company's operations and financial condition.\n\n")
LATER = ("Results of Operations\n\n" + " ".join(
    f"During the three months ended July 1, 2023 the Company shipped units to customer {i} "
    f"under its standard terms and recognised revenue on delivery." for i in range(8))
    + "\n\nResearch and Development\n\nResearch and development expenses for the three months "
    "ended July 1, 2023 were {rd} million, reflecting engineering headcount and prototype "
    "materials. The Company expects these expenses to continue at a similar level.\n")


def _twins(folder: Path) -> Path:
    folder.mkdir()
    for name, rd in (("Acme Robotics, Inc.", "$12.4"), ("Globex Automation Corporation",
                                                        "$8.1")):
        stem = name.split()[0].lower()
        (folder / f"{stem}-q2.txt").write_text(FIRST.format(name=name) +
                                               LATER.replace("{rd}", rd))
    return folder


QUESTION = "How much did {} spend on research and development last quarter?"


def _rd_cosines(pipeline, company: str) -> dict[str, float]:
    """The question's cosine with each twin's research and development chunk."""
    vector = pipeline.embedder.embed([QUESTION.format(company)])[0]
    out = {}
    for doc in ("acme-q2.txt", "globex-q2.txt"):
        chunk = next(c for c in pipeline.store.document_chunks(doc)
                     if "Research and development expenses" in c.text)
        out[doc] = float(pipeline.store.chunk_vectors([chunk.chunk_id])[chunk.chunk_id] @ vector)
    return out


def test_the_header_finds_a_later_chunk_that_never_names_its_subject(tmp_path, embedder):
    corpus = _twins(tmp_path / "corpus")
    chunking = {"chunk_size": 64, "chunk_overlap": 8}
    on = build_pipeline(make_settings(tmp_path / "on", chunking={**chunking,
                                                                 "context_headers": True}),
                        embedder=embedder)
    on.ingest.sync(corpus)
    rd_chunks = [c for c in on.store.document_chunks("acme-q2.txt")
                 if "Research and development expenses" in c.text]
    assert rd_chunks and "Acme" not in rd_chunks[0].text and rd_chunks[0].index > 0
    assert "Acme Robotics, Inc." in rd_chunks[0].metadata["context"]
    off = build_pipeline(make_settings(tmp_path / "off", chunking={**chunking,
                                                                   "context_headers": False}),
                         embedder=embedder)
    off.ingest.sync(corpus)
    for company, doc, twin, figure in (
            ("Acme Robotics", "acme-q2.txt", "globex-q2.txt", "$12.4"),
            ("Globex Automation", "globex-q2.txt", "acme-q2.txt", "$8.1")):
        # Without headers the twins' chunks match the question alike; with them, its own wins.
        plain, headed = _rd_cosines(off, company), _rd_cosines(on, company)
        assert abs(plain[doc] - plain[twin]) < 0.02, plain
        assert headed[doc] > headed[twin] + 0.1, headed
        answer = on.answers.answer(QUESTION.format(company))
        first = answer.retrieved[0]
        assert first.doc_id == doc and "Research and development" in first.text, company
        assert figure in answer.answer
        original = (corpus / doc).read_text()
        for c in answer.citations:  # the document's own text at its own offsets, no header
            assert "|" not in c.text and "Quarterly Report" not in c.text[:40]
            assert original[c.start:c.end].startswith(c.text[:20])


def test_flipping_the_setting_re_embeds_every_document_once(tmp_path, embedder, corpus_copy):
    def sync(headers: bool):
        settings = make_settings(tmp_path / "data", chunking={"context_headers": headers})
        pipeline = build_pipeline(settings, embedder=embedder)
        return pipeline, pipeline.ingest.sync(corpus_copy)

    plain, first = sync(False)
    assert len(first.added) == 5
    plain_hashes = {d: r.content_hash for d, r in plain.store.documents().items()}
    pipeline, flipped = sync(True)
    assert len(flipped.updated) == 5 and flipped.chunks_written > 0
    hashes = {d: r.content_hash for d, r in pipeline.store.documents().items()}
    assert all(hashes[d] != plain_hashes[d] for d in hashes)  # new versions, old ones kept
    chunks = [c for d in pipeline.store.documents()
              for c in pipeline.store.document_chunks(d) if c.metadata.get("context")]
    # all but the transcript, whose first line runs on for two sentences: no title
    assert {c.doc_id for c in chunks} == set(hashes) - {"000_1c892726ee893fcb.txt"}
    for c in chunks:  # the header never pushes a chunk past what the encoder reads
        assert len(embedder.tokenize(embedded_text(c.text, c.metadata))) <= ENCODER_PIECES
    vectors = pipeline.store.chunk_vectors([chunks[0].chunk_id])
    again = embedder.embed([embedded_text(chunks[0].text, chunks[0].metadata)])[0]
    assert float(vectors[chunks[0].chunk_id] @ again) > 0.999
    _, same = sync(True)
    assert len(same.unchanged) == 5 and same.chunks_written == 0
    pipeline, back = sync(False)
    assert len(back.updated) == 5  # the plain version again (kept for rollback: not re-embedded)
    assert not any(c.metadata.get("context") for d in pipeline.store.documents()
                   for c in pipeline.store.document_chunks(d))


def test_a_queued_job_stores_the_headed_version_once(tmp_path, embedder, corpus_copy):
    import hashlib

    from index.context import VERSION
    from index.formats import reader_version
    from index.ingest import version_hash

    settings = make_settings(tmp_path / "data", chunking={"context_headers": True})
    pipeline = build_pipeline(settings, embedder=embedder)
    path = corpus_copy / "004_e904c1ee689fa2a3.txt"
    job = pipeline.ingest.ingest_one(path, corpus_copy)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert job.outcome == "added" and \
        job.content_hash == version_hash(sha, f"{VERSION}|{reader_version('text')}") != sha
    assert pipeline.store.stored_version(job.doc_id, job.content_hash) is not None
    again = pipeline.ingest.ingest_one(path, corpus_copy, committed_hash=job.content_hash)
    assert again.outcome == "unchanged"
    # against a plain version committed before, the headed one is a change (stored already)
    flipped = pipeline.ingest.ingest_one(path, corpus_copy, committed_hash=sha)
    assert flipped.outcome == "updated" and flipped.reused
