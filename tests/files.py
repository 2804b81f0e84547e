"""Real documents of every format, written with real libraries (reportlab, python-docx)."""

from __future__ import annotations

import io
from pathlib import Path

PDF_PAGES = [
    "The river authority inspected the northern dam in March. Engineers found two cracks in "
    "the spillway and ordered repairs before the spring floods.",
    "Repairs cost four million dollars. The contractor finished the spillway work in June, "
    "three weeks ahead of the schedule agreed with the authority.",
    "In August the authority opened a visitor centre beside the dam. It shows how the "
    "turbines turn falling water into electricity for the valley.",
]


def pdf_bytes(pages: list[str] = PDF_PAGES, title: str = "Dam Inspection Report") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title)
    style = getSampleStyleSheet()["BodyText"]
    story: list = []
    for i, text in enumerate(pages):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(text, style))
    doc.build(story)
    return buf.getvalue()


def encrypted_pdf_bytes(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx(path: Path, heading: str, paragraphs: list[str],
               table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.rows[r].cells[c].text = value
    document.save(path)
    return path


def handmade_pdf(page_texts: list[str], declared_count: int | None = None) -> bytes:
    """A minimal PDF written byte by byte (one Helvetica line per page), whose page tree root
    claims ``declared_count`` pages (default: the true number): a hostile file can lie."""
    count = len(page_texts) if declared_count is None else declared_count
    first_page = 4
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(page_texts)))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(page_texts):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{first_page + 2 * i + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>")
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def docx_bytes(heading: str, paragraphs: list[str]) -> bytes:
    """A real DOCX (python-docx), as bytes."""
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None,
          inflating: dict[str, int] | None = None) -> bytes:
    """``data`` (a ZIP) rewritten with some members' bytes replaced (or added), plus members of
    ``inflating[name]`` zero bytes each, deflated (a zip bomb's payload: ~1000:1), streamed."""
    import zipfile

    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name in replace.keys() - set(src.namelist()):
            dst.writestr(name, replace[name])
        for name, size in (inflating or {}).items():
            with dst.open(name, "w", force_zip64=size > 2**31) as fh:
                block = bytes(1 << 20)
                for start in range(0, size, len(block)):
                    fh.write(block[: size - start])
    return out.getvalue()


def billion_laughs(levels: int = 9) -> bytes:
    """A ``word/document.xml`` whose entities would expand to 10**levels copies of "lol"."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<!DOCTYPE lolz [{"".join(entities)}]>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f'<w:body><w:p><w:r><w:t>&lol{levels};</w:t></w:r></w:p></w:body></w:document>'
    ).encode()
