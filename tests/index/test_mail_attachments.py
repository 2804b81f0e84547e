"""A mail's attachments indexed as documents of their own (index/attachments.py), from real
files: a real .eml (Python's email library) carrying a real PDF (reportlab), a real xlsx
(openpyxl), a real attached message, a corrupt PDF and a zip-bomb xlsx; ingested by the real
pipeline (the bundled model, Chroma in a temp dir) and asked about."""

from __future__ import annotations

import io
from email.message import EmailMessage
from pathlib import Path

import pytest

from index.attachments import child_id, children, load_child
from index.errors import UnreadableFile
from index.loaders import load_document
from index.scope import Scope
from rag.factory import build_pipeline
from tests.files import pdf_bytes, rezip
from tests.helpers import make_settings
from tests.office_files import xlsx_bytes

SURVEY = ["The Porthleven harbour survey of May 2023 counted 317 moored fishing boats and 42 "
          "visiting yachts. The harbour master, Tamsin Polglase, signed the survey."]
BOATS = "How many moored fishing boats did the Porthleven harbour survey count?"
MAIL = "harbour.eml"
PDF_ID, XLSX_ID = f"{MAIL}#survey.pdf", f"{MAIL}#dredging.xlsx"


def dredging_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Dredging quotes"
    sheet.append(["Contractor", "Quote (GBP)"])
    sheet.append(["Kernow Marine Dredging", 84250])
    sheet.append(["Penwith Silt Works", 91700])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def inner_mail() -> bytes:
    """An attached message that has an attachment of its own (opened to depth 1 only)."""
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "clerk@harbour.example", "Minutes of the harbour board"
    inner.set_content("The harbour board approved the new pontoon on 3 April.")
    inner.add_attachment(pdf_bytes(["The pontoon is twelve metres long."]),
                         maintype="application", subtype="pdf", filename="pontoon.pdf")
    return bytes(inner)


def harbour_mail(attachments: tuple[str, ...] = ("survey.pdf", "dredging.xlsx", "broken.pdf",
                                                   "bomb.xlsx", "minutes.eml"),
                 subject: str = "Harbour survey results") -> bytes:
    message = EmailMessage()
    message["From"] = "Greta Lindqvist <greta@harbour.example>"
    message["To"] = "board@harbour.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 05 Jun 2023 09:15:00 +0100"
    message.set_content("Dear board, please find the survey and the dredging quotes attached.")
    files = {
        "survey.pdf": ("application", "pdf", pdf_bytes(SURVEY, title="Harbour survey")),
        "dredging.xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          dredging_xlsx()),
        "broken.pdf": ("application", "pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n"
                                             b"this is no PDF body\n"),
        "bomb.xlsx": ("application", "octet-stream",
                      rezip(xlsx_bytes(), inflating={"xl/media/zeros.bin": 12 << 20})),
    }
    for name in attachments:
        if name == "minutes.eml":  # an attached message (message/rfc822)
            from email import message_from_bytes, policy

            message.add_attachment(message_from_bytes(inner_mail(), policy=policy.default),
                                   filename=name)
            continue
        maintype, subtype, data = files[name]
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def _mail_doc(tmp_path: Path, data: bytes | None = None, name: str = MAIL):
    (tmp_path / name).write_bytes(harbour_mail() if data is None else data)
    return load_document(tmp_path / name, tmp_path)


# ---- without the model: ids, titles, versions, reading -------------------------------------

def test_children_ids_titles_and_versions_are_stable(tmp_path: Path):
    data = harbour_mail()
    kids = children(_mail_doc(tmp_path, data))
    assert [k.doc_id for k in kids] == [PDF_ID, XLSX_ID, f"{MAIL}#broken.pdf",
                                        f"{MAIL}#bomb.xlsx", f"{MAIL}#minutes.eml"]
    assert kids[0].title == "Harbour survey results — survey.pdf"
    assert kids[0].context == ("Harbour survey results — survey.pdf (attached to a mail from "
                               "Greta Lindqvist, 2023-06-05)")
    again = children(_mail_doc(tmp_path, data))  # the same mail read again: the same versions
    assert [k.content_hash for k in again] == [k.content_hash for k in kids]
    renamed = children(_mail_doc(tmp_path, harbour_mail(subject="Survey (corrected)")))
    assert renamed[0].title == "Survey (corrected) — survey.pdf"
    assert renamed[0].content_hash != kids[0].content_hash  # a new subject: a new version


def test_two_attachments_of_one_name_get_two_ids(tmp_path: Path):
    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.org", "Two scans"
    message.set_content("Both attached.")
    for text in ("first", "second"):
        message.add_attachment(text.encode(), maintype="text", subtype="plain",
                               filename="scan.txt")
    message.add_attachment(b"third", maintype="text", subtype="plain", filename="scan#1.txt")
    message.add_attachment(b"fourth", maintype="text", subtype="plain", filename="scan_1.txt")
    kids = children(_mail_doc(tmp_path, bytes(message), "two.eml"))
    assert [k.doc_id for k in kids] == ["two.eml#scan.txt", "two.eml#scan (2).txt",
                                        "two.eml#scan_1.txt", "two.eml#scan_1.txt (2)"]


def test_each_attachment_read_by_its_format_and_a_hostile_one_refused_alone(tmp_path: Path):
    doc = _mail_doc(tmp_path)
    survey, dredging, broken, bomb, minutes = children(doc)
    pdf = load_child(doc, survey, 20_000_000)
    assert pdf.format == "pdf" and "317 moored fishing boats" in pdf.text
    assert pdf.attached_to.parent == MAIL and pdf.attached_to.name == "survey.pdf"
    assert pdf.date_source == "metadata" and pdf.date != "2023-06-05T08:15:00Z"  # its own
    sheet = load_child(doc, dredging, 20_000_000)
    assert sheet.format == "xlsx" and "Kernow Marine Dredging | Quote (GBP): 84250" in sheet.text
    with pytest.raises(UnreadableFile, match=r"attachment 'broken.pdf' of the mail: corrupt PDF"):
        load_child(doc, broken, 20_000_000)
    with pytest.raises(UnreadableFile, match=r"attachment 'bomb.xlsx' of the mail: .*zip bomb"):
        load_child(doc, bomb, 20_000_000)
    with pytest.raises(UnreadableFile, match=r"'survey.pdf' of the mail: 0.0 MB, over the 0.0 MB"):
        load_child(doc, survey, 10)


def test_an_attached_mail_is_read_to_depth_one(tmp_path: Path):
    doc = _mail_doc(tmp_path)
    minutes = load_child(doc, children(doc)[-1], 20_000_000)
    assert minutes.format == "eml" and "approved the new pontoon" in minutes.text
    assert minutes.date == "2023-06-05T08:15:00Z"  # undated itself: the carrying mail's date
    assert "Attachments: pontoon.pdf" in minutes.text  # named in its text ...
    assert minutes.attachments == () and children(minutes) == []  # ... and not indexed


def test_a_shard_owns_a_mail_with_its_attachments():
    for k in range(4):
        scope = Scope(shard=(k, 4))
        for mail in ("inbox/a.eml", "b.msg", "x/y/z.mbox", "c.eml"):
            assert scope.owns(mail) == scope.owns(child_id(mail, "q.pdf")) == \
                scope.owns(child_id(mail, "r.xlsx"))


# ---- the real pipeline --------------------------------------------------------------------

@pytest.fixture(scope="module")
def harbour(tmp_path_factory, embedder):
    """A folder with the mail and a plain note, synced once into collection 'harbour'."""
    root = tmp_path_factory.mktemp("harbour")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / MAIL).write_bytes(harbour_mail())
    (corpus / "note.md").write_text("# Note\n\nThe harbour office opens at eight.\n")
    pipeline = build_pipeline(make_settings(root / "data"), embedder=embedder)
    pipeline.store.collections.create("harbour")
    report = pipeline.ingest.sync(corpus, collection="harbour")
    return pipeline, report


def test_the_mail_and_each_readable_attachment_are_indexed(harbour):
    pipeline, report = harbour
    key = "harbour::"
    assert sorted(report.added) == sorted(key + d for d in (
        MAIL, "note.md", PDF_ID, XLSX_ID, f"{MAIL}#minutes.eml"))
    assert set(report.failed) == {key + f"{MAIL}#broken.pdf", key + f"{MAIL}#bomb.xlsx"}
    assert "corrupt PDF" in report.failed[key + f"{MAIL}#broken.pdf"]
    assert "zip bomb" in report.failed[key + f"{MAIL}#bomb.xlsx"]
    docs = pipeline.store.documents()
    pdf = docs[key + PDF_ID]
    assert (pdf.title, pdf.format, pdf.collection) == (
        "Harbour survey results — survey.pdf", "pdf", "harbour")
    assert pdf.extra["attachment"]["parent"] == key + MAIL
    body = pipeline.store.document_text(key + MAIL)
    assert "please find the survey" in body  # the mail itself, whatever its attachments did
    assert not any("pontoon.pdf" in d and d.endswith(".pdf") for d in docs)  # depth 1


def test_a_question_only_an_attachment_answers_cites_it(harbour):
    pipeline, _ = harbour
    answer = pipeline.answers.answer(BOATS)
    assert not answer.refused and "317" in answer.answer
    assert answer.citations[0].doc_id == f"harbour::{PDF_ID}"
    quote = pipeline.answers.answer("What did Kernow Marine Dredging quote for the dredging?")
    assert not quote.refused and "84250" in quote.answer.replace(",", "")
    assert any(c.doc_id == f"harbour::{XLSX_ID}" for c in quote.citations)


def test_reingest_unchanged_then_changed_then_removed(tmp_path: Path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / MAIL).write_bytes(harbour_mail(("survey.pdf", "dredging.xlsx", "broken.pdf")))
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    first = pipeline.ingest.sync(corpus)
    assert sorted(first.added) == [MAIL, XLSX_ID, PDF_ID] and list(first.failed) == [
        f"{MAIL}#broken.pdf"]

    again = pipeline.ingest.sync(corpus)
    assert sorted(again.unchanged) == [MAIL, XLSX_ID, PDF_ID]
    assert (again.added, again.updated, again.deleted, again.chunks_written) == ([], [], [], 0)
    assert list(again.failed) == [f"{MAIL}#broken.pdf"]  # reported again, the mail unharmed

    (corpus / MAIL).write_bytes(harbour_mail(("survey.pdf",), subject="Survey only"))
    changed = pipeline.ingest.sync(corpus)
    assert sorted(changed.updated) == [MAIL, PDF_ID] and changed.deleted == [XLSX_ID]
    assert pipeline.store.documents()[PDF_ID].title == "Survey only — survey.pdf"

    (corpus / MAIL).unlink()
    (corpus / "note.md").write_text("The harbour office opens at eight.\n")
    gone = pipeline.ingest.sync(corpus)
    assert sorted(gone.deleted) == [MAIL, PDF_ID] and set(pipeline.store.documents()) == {
        "note.md"}
    assert not any(c.doc_id == PDF_ID for c in pipeline.answers.answer(BOATS).citations)


def test_an_unreadable_mail_keeps_its_attachments_and_a_delete_takes_them(tmp_path: Path,
                                                                            embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / MAIL).write_bytes(harbour_mail(("survey.pdf",)))
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    assert sorted(pipeline.ingest.sync(corpus).added) == [MAIL, PDF_ID]
    (corpus / MAIL).write_bytes(b"Subject: cut off\n" + b"\x00" * 64)  # now unreadable
    broken = pipeline.ingest.sync(corpus)
    assert list(broken.failed) == [MAIL] and broken.deleted == []
    assert set(pipeline.store.documents()) == {MAIL, PDF_ID}
    deleted = pipeline.ingest.delete_ids([MAIL])
    assert sorted(deleted.deleted) == [MAIL, PDF_ID] and pipeline.store.documents() == {}
