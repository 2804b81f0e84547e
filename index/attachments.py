"""A mail's attachments as documents of their own.

A mail (.eml, .mbox, .msg: index/readers/mail.py) keeps its attached files in
``Extracted.attachments``; the loader hands them on in ``Document.attachments``. Each becomes a
*child* document of the mail:

- its id is the mail's id, :data:`MARK` and the attachment's file name
  (``inbox/q3.eml#figures.xlsx``; a name the mail repeats is numbered by the reader:
  ``figures (2).xlsx``), so it is stable across re-ingests, shares the mail's collection key and
  path prefix, and the mail's shard (index/scope.py hashes the id up to its first MARK);
- it is read by the same sniffing and readers as any file (a PDF attachment is read as a PDF);
  an unreadable one is a failure of its own, with the reason, never the mail's;
- its title is "Subject — name", and its context header (index/context.py) names the mail:
  "Subject — name (attached to a mail from Sender, 2024-03-05)"; its date is its own metadata's,
  else the mail's Date header; its record's ``extra["attachment"]`` names the parent mail;
- its version hash covers its bytes *and* that title and context, so re-ingesting an unchanged
  mail leaves every child unchanged without reading it again, and a new subject re-indexes them;
- nested mail is opened to depth 1: an attached message is a child read as a mail (its headers
  and body), its own attachments are named in its text but not indexed.

A sync removes a child when its mail no longer carries it, or when the mail is gone
(index/sync.py); deleting a mail by id deletes its children (index/ingest.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import PurePosixPath
from typing import Any

from index.errors import UnreadableFile
from index.formats import Attachment, extract, format_of_name, sniff
from index.loaders import MAX_TITLE_CHARS
from index.scope import ATTACHMENT_MARK
from index.types import AttachedTo, Document

MARK = ATTACHMENT_MARK  # between a mail's id and its attachment's name ("#")
MAIL_FORMATS = {"eml", "mbox", "msg"}
_SUBJECT_CHARS = MAX_TITLE_CHARS - 30  # room for " — name" in the title


@dataclass(frozen=True)
class Child:
    """One attachment of a mail, before it is read: its id, title, context and version."""

    doc_id: str
    attachment: Attachment
    title: str
    context: str
    content_hash: str  # sha256 of its bytes, title and context


def child_id(parent_id: str, name: str) -> str:
    """The id of attachment ``name`` of the mail ``parent_id`` (no MARK inside the name)."""
    return f"{parent_id}{MARK}{name.replace(MARK, '_')}"


def parent_of(extra: Mapping[str, Any] | None) -> str:
    """The id of the mail a record's document is attached to, empty for any other document."""
    about = (extra or {}).get("attachment")
    return str(about.get("parent") or "") if isinstance(about, dict) else ""


def children(parent: Document) -> list[Child]:
    """The attachments of ``parent`` (a loaded mail) with their ids and versions; nothing is
    read yet, so this is cheap for a mail that has not changed."""
    out: list[Child] = []
    taken: set[str] = set()
    for att in parent.attachments:
        doc_id, n = child_id(parent.doc_id, att.name), 2
        while doc_id in taken:  # two names differing only by MARK and '_'
            doc_id = child_id(parent.doc_id, f"{att.name} ({n})")
            n += 1
        taken.add(doc_id)
        subject = " ".join(att.subject.split()) or parent.title
        if len(subject) > _SUBJECT_CHARS:
            subject = subject[: _SUBJECT_CHARS - 1].rstrip() + "…"
        title = f"{subject} — {att.name}" if subject else att.name
        context = f"{title} ({_sent_by(att)})"
        digest = hashlib.sha256(att.data)
        digest.update(f"\0{title}\0{context}\0{att.date}".encode("utf-8", "replace"))
        out.append(Child(doc_id, att, title, context, digest.hexdigest()))
    return out


def _sent_by(att: Attachment) -> str:
    name, address = parseaddr(att.sender)
    who = " ".join((name or address or att.sender).split())
    said = "attached to a mail" + (f" from {who}" if who else "")
    return said + (f", {att.date[:10]}" if att.date else "")


def load_child(parent: Document, child: Child, max_bytes: int) -> Document:
    """The attachment read as a document (UnreadableFile saying why it cannot be)."""
    att = child.attachment
    try:
        return _read(parent, child, max_bytes)
    except UnreadableFile as exc:
        raise UnreadableFile(f"attachment {att.name!r} of the mail: {exc}") from None


def _read(parent: Document, child: Child, max_bytes: int) -> Document:
    att = child.attachment
    if not att.data:
        raise UnreadableFile("empty (no bytes, or an embedded Outlook item that is not a file)")
    if len(att.data) > max_bytes:
        raise UnreadableFile(f"{len(att.data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB "
                             "limit (raise ingest.max_file_mb to index it)")
    extracted = extract(att.data, sniff(att.data, PurePosixPath(att.name).suffix))
    if not extracted.text.strip():
        raise UnreadableFile("no text")
    date, source = ((extracted.date, "metadata") if extracted.date else
                    (att.date, "metadata") if att.date else (parent.date, parent.date_source))
    return Document(
        doc_id=child.doc_id, title=child.title, text=extracted.text,
        source_path=parent.source_path, mtime=parent.mtime, content_hash=child.content_hash,
        format=extracted.format, page_starts=extracted.page_starts, date=date,
        date_source=source, ocr_pages=extracted.ocr_pages, ocr_seconds=extracted.ocr_seconds,
        tables=extracted.tables, context=child.context,
        attached_to=AttachedTo(parent.doc_id, att.name, hashlib.sha256(att.data).hexdigest()),
        # attachments left empty: depth 1, an attached mail's own are named in its text only
    )


Outcome = Any  # index.ingest's: a reason (str), None (unchanged) or (Document, prepared)


def child_outcomes(parent: Document, known: Callable[[str, str], bool],
                   version: Callable[[str, str], str], prepare: Callable[[Document], Any],
                   max_bytes: int,
                   taken: Container[str] = ()) -> list[tuple[str, str, Outcome]]:
    """Per attachment of ``parent``: its id, its version hash, and a failure reason, None when ``known(id,
    version)`` says that version needs no work (the release has it), or the child read and
    prepared. ``version`` turns a child's content hash and format (by its name) into the hash it is
    stored under (index.ingest); ``taken``: ids of other documents a child may not replace."""
    out: list[tuple[str, str, Outcome]] = []
    for child in children(parent):
        stored_as = version(child.content_hash, format_of_name(child.attachment.name))
        if child.doc_id in taken:
            out.append((child.doc_id, stored_as, f"attachment {child.attachment.name!r} not indexed: a "
                        "document of the same id exists (a file named like it)"))
            continue
        if known(child.doc_id, stored_as):
            out.append((child.doc_id, stored_as, None))
            continue
        try:
            doc = load_child(parent, child, max_bytes)
        except (ValueError, OSError) as exc:
            out.append((child.doc_id, stored_as, str(exc)))
            continue
        doc = dataclasses.replace(doc, content_hash=stored_as)
        out.append((child.doc_id, stored_as, (doc, prepare(doc))))
    return out


def children_in(store: Any, manifest: Mapping[str, Any], parent: str,
                keep: Container[str] = ()) -> list[str]:
    """The ids in ``manifest`` of the attachments of mail ``parent`` (by their records), except
    those in ``keep``. ``store``: an index.store.ChromaStore."""
    prefix = parent + MARK
    candidates = [d for d in manifest if d.startswith(prefix) and d not in keep]
    if not candidates:
        return []
    records = store.version_records(manifest, candidates)
    return sorted(d for d, rec in records.items() if parent_of(rec.extra) == parent)


def attachment_extra(doc: Document) -> dict[str, object]:
    """What a child's record says of its mail (``extra["attachment"]``), empty for others."""
    if doc.attached_to is None:
        return {}
    return {"attachment": dataclasses.asdict(doc.attached_to)}
