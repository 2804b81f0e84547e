"""Scanned copies of real PDFs: pages rasterised by poppler's pdftoppm, rebuilt by img2pdf, as a
copier's "scan to PDF" makes them (images only, no text layer)."""

from __future__ import annotations

import difflib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCAN_PAGES = [
    "The harbour commission met on the fourth of March. Members approved a new pier for the "
    "fishing fleet and agreed to repaint the lighthouse before the summer season.",
    "The pier will cost two million pounds. Work begins in April and the contractor expects to "
    "finish by the end of September, weather permitting.",
]


def needs_ocr_tools() -> None:
    for program, package in (("tesseract", "tesseract-ocr"), ("pdftoppm", "poppler-utils")):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: apt-get install {package} (scripts/test.sh does)")


def page_images(pdf: bytes, folder: Path, dpi: int = 300, fmt: str = "png") -> list[Path]:
    """Each page of ``pdf`` as a grey image file at ``dpi`` (pdftoppm)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "source.pdf"
    source.write_bytes(pdf)
    flag = {"png": "-png", "tiff": "-tiff", "jpeg": "-jpeg"}[fmt]
    subprocess.run(["pdftoppm", flag, "-gray", "-r", str(dpi), str(source), str(folder / "page")],
                   check=True, timeout=120)
    return sorted(folder.glob("page-*"))


def scanned(pdf: bytes, folder: Path, dpi: int = 300) -> bytes:
    """A scanned copy of ``pdf``: its pages as images in a PDF, no text layer, and the same
    /Title (so a comparison of the two differs only by OCR)."""
    import img2pdf
    from pypdf import PdfReader

    title = str((PdfReader(io.BytesIO(pdf)).metadata or {}).get("/Title") or "")
    images = page_images(pdf, folder, dpi)
    return img2pdf.convert([str(p) for p in images], title=title or None)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def word_accuracy(expected: str, got: str) -> float:
    """Share of ``expected``'s words that OCR read, in order (difflib's matching blocks)."""
    want, have = words(expected), words(got)
    matcher = difflib.SequenceMatcher(a=want, b=have, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(len(want), 1)


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels over a few bytes of data."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


def image_bomb_pdf(width: int = 100_000, height: int = 100_000) -> bytes:
    """A one-page PDF without text whose page shows an image declaring ``width`` x ``height``
    grey pixels (a few KB of deflated zeros: rendering it would inflate to width x height bytes)."""
    import zlib

    pixels = zlib.compress(b"\x00" * 65_536, 9)
    content = b"q 612 0 0 792 0 0 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (width, height, len(pixels)) + pixels + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
