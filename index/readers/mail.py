"""Mail: a message (.eml, stdlib ``email`` with ``policy.default``), a mailbox (.mbox, stdlib
``mailbox``: its messages one after another) and an Outlook message (.msg, extract-msg).

A message's text form opens with its header lines ("From: ...", "To: ...", "Cc: ...",
"Subject: ...", "Date: ..."; each cut at ``MAX_HEADER_LINE`` characters) and, when it has
attachments, "Attachments: a.pdf, b.xlsx"; then, after a blank line, the plain-text body (or the
HTML body's visible text, its tables through index.tables). The subject is the title and the Date
header the date (index.dates.parse_metadata). A mailbox's messages are joined by a blank line;
its title is the first message's subject, its date the newest message's.

Attachments are kept in ``Extracted.attachments`` (:class:`index.formats.Attachment`: file
name, bytes, and the sender, subject and date of the message that carried them) for the ingest
step to index as documents of their own (index/attachments.py): file names reduced to their last
path component and unique within the file, at most ``MAX_ATTACHMENTS`` per file and
``MAX_ATTACHMENT_BYTES`` each; the others are named in the text as not kept. An attached message
(message/rfc822, an attached .msg) is one attachment: kept whole, not opened here. A header block over ``MAX_HEADER_BYTES`` and a mailbox of more than ``MAX_MESSAGES``
messages are refused.
"""

from __future__ import annotations

import email
import mailbox
import mimetypes
import os
import re
import tempfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import PurePosixPath

from index.dates import parse_metadata
from index.errors import UnreadableFile
from index.formats import SECTION_BREAK, Attachment, Extracted
from index.readers.common import TextBuilder, shifted
from index.readers.html_text import HtmlText

MAX_HEADER_BYTES = 256 * 1024
MAX_HEADER_LINE = 1_000
MAX_ATTACHMENTS = 100
MAX_ATTACHMENT_BYTES = 20_000_000  # as ingest.max_file_mb's default
MAX_MESSAGES = 10_000
MAX_NAMED = 200  # attachment names written into the text, the rest counted
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class _Mail:
    """What the messages of one file give, as they are read."""

    label: str
    out: TextBuilder = field(init=False)
    kept: list[Attachment] = field(default_factory=list)
    dropped: int = 0
    titles: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out = TextBuilder(self.label)

    def keep(self, headers: dict[str, str], name: str, payload: bytes | None) -> str:
        """Keep an attachment of the message with ``headers`` if the limits allow; returns how
        the text names it."""
        name = _unique(_safe_name(name, len(self.kept) + self.dropped + 1),
                       {a.name for a in self.kept})
        size = len(payload or b"")
        if len(self.kept) >= MAX_ATTACHMENTS:
            self.dropped += 1
            return name + f" (not kept: over the limit of {MAX_ATTACHMENTS} attachments)"
        if size > MAX_ATTACHMENT_BYTES:
            self.dropped += 1
            return name + (f" (not kept: {size / 1e6:.1f} MB, over the "
                           f"{MAX_ATTACHMENT_BYTES / 1e6:.0f} MB limit)")
        self.kept.append(Attachment(name, payload or b"", _cut(headers.get("From", "")),
                                    _cut(headers.get("Subject", "")),
                                    parse_metadata(headers.get("Date")) or ""))
        return name

    def add_message(self, headers: list[tuple[str, str]], names: list[str], body: str,
                    html: bool) -> None:
        lines = [f"{key}: {_cut(value)}" for key, value in headers if value.strip()]
        if names:
            shown = ", ".join(names[:MAX_NAMED])
            more = f" and {len(names) - MAX_NAMED:,} more" if len(names) > MAX_NAMED else ""
            lines.append(f"Attachments: {shown}{more}")
        self.out.add("\n".join(lines), SECTION_BREAK)
        if html:
            parser = HtmlText()
            parser.feed(body)
            parser.close()
            text = parser.text()
            at = self.out.add(text, SECTION_BREAK)
            self.out.tables.extend(shifted(t, at) for t in parser.out.tables)
        else:
            self.out.add(body.replace("\r\n", "\n").strip("\n"), SECTION_BREAK)
        subject = dict(headers).get("Subject", "")
        self.titles.append(" ".join(subject.split()))
        self.dates.append(parse_metadata(dict(headers).get("Date")) or "")

    def result(self, fmt: str) -> Extracted:
        if not self.out.size:
            raise UnreadableFile(f"{self.label} has no message")
        dated = max((d for d in self.dates if d), default="")
        return Extracted(fmt, self.out.text(), self.titles[0] if self.titles else "", date=dated,
                         tables=tuple(self.out.tables), attachments=tuple(self.kept))


def _cut(value: str) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= MAX_HEADER_LINE else value[: MAX_HEADER_LINE - 1] + "…"


def _safe_name(name: str | None, number: int, content_type: str = "") -> str:
    """The last path component, control characters removed; a made-up name if none."""
    base = PurePosixPath(_UNSAFE.sub("", str(name or "")).replace("\\", "/")).name.strip()
    base = base.lstrip(".")[:200]
    if not base:
        base = f"attachment-{number}{mimetypes.guess_extension(content_type) or '.bin'}"
    return base


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem} ({n}){dot}{ext}"
        n += 1
    return candidate


# ---- EML and MBOX ---------------------------------------------------------------------------

def _check_header(data: bytes, label: str) -> None:
    if len(data) > MAX_HEADER_BYTES and not _HEADER_END.search(data, 0, MAX_HEADER_BYTES + 4):
        raise UnreadableFile(f"{label} refused: its header is over {MAX_HEADER_BYTES // 1024} KB "
                             "(no blank line ends it within that)")


def _read_message(mail: _Mail, data: bytes) -> None:
    _check_header(data, mail.label)
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    headers = [(key, str(message.get(key, "") or "")) for key in
               ("From", "To", "Cc", "Subject", "Date")]
    body_part = message.get_body(preferencelist=("plain", "html"))
    names = [mail.keep(dict(headers), *_attachment(part, n))
             for n, part in enumerate(_attachments(message, body_part), start=1)]
    body, html = ("", False)
    if body_part is not None:
        body, html = _content(body_part), body_part.get_content_subtype() == "html"
    mail.add_message(headers, names, body, html)


def _attachments(message: EmailMessage, body: object):  # type: ignore[no-untyped-def]
    """The attached parts, depth first; an attached message is one attachment (not opened)."""
    if not message.is_multipart():
        return
    for part in message.iter_parts():
        if part is body:
            continue
        if part.get_content_type() == "message/rfc822" or not part.is_multipart():
            if part.is_attachment() or part.get_filename() or \
                    part.get_content_type() == "message/rfc822":
                yield part
        else:
            yield from _attachments(part, body)


def _attachment(part: EmailMessage, number: int) -> tuple[str, bytes | None]:
    name = part.get_filename()
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        payload = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
        subject = inner.get("Subject", "") if hasattr(inner, "get") else ""
        return name or f"{subject or f'message-{number}'}.eml", payload
    payload = part.get_payload(decode=True)
    return name or _safe_name(None, number, part.get_content_type()), payload


def _content(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset
        raw = part.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace")


def extract_eml(data: bytes) -> Extracted:
    mail = _Mail("mail (.eml)")
    _read_message(mail, data)
    return mail.result("eml")


def extract_mbox(data: bytes) -> Extracted:
    mail = _Mail("mailbox (.mbox)")
    with tempfile.TemporaryDirectory() as folder:  # stdlib mailbox reads a file, not bytes
        path = os.path.join(folder, "mail.mbox")
        with open(path, "wb") as fh:
            fh.write(data)
        box = mailbox.mbox(path, create=False)
        try:
            keys = box.keys()  # one pass over the lines: where each message starts
            if len(keys) > MAX_MESSAGES:
                raise UnreadableFile(f"mailbox (.mbox) refused: {len(keys):,} messages, over the "
                                     f"limit of {MAX_MESSAGES:,}; split it")
            for key in keys:
                _read_message(mail, box.get_bytes(key))
        finally:
            box.close()
    return mail.result("mbox")


# ---- MSG ------------------------------------------------------------------------------------

def extract_msg(data: bytes) -> Extracted:
    import extract_msg

    try:
        message = extract_msg.openMsg(data, delayAttachments=True)
    except Exception as exc:  # the library's own errors say what kind of item it is not
        raise UnreadableFile(f"Outlook message (.msg) not readable ({type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:200]})") from None
    mail = _Mail("Outlook message (.msg)")
    try:
        headers = [("From", str(getattr(message, "sender", "") or "")),
                   ("To", str(getattr(message, "to", "") or "")),
                   ("Cc", str(getattr(message, "cc", "") or "")),
                   ("Subject", str(message.subject or "")),
                   ("Date", str(getattr(message, "date", "") or ""))]
        names = [mail.keep(dict(headers), *_msg_attachment(att))
                 for att in message.attachments]
        body, html = str(getattr(message, "body", "") or ""), False
        if not body.strip() and getattr(message, "htmlBody", None):
            body, html = message.htmlBody.decode("utf-8", "replace"), True
        mail.add_message(headers, names, body, html)
    finally:
        message.close()
    return mail.result("msg")


def _msg_attachment(att) -> tuple[str, bytes | None]:  # type: ignore[no-untyped-def]
    name = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or ""
    payload = att.data
    if not isinstance(payload, (bytes, type(None))):  # an attached message: an MSGFile
        payload = None
        name = name or "attached-message.msg"
    return name, payload
