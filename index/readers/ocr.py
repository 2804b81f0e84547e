"""Optical character recognition: page images read by tesseract.

Two callers: the PDF reader (index/readers/pdf.py) for pages without a text layer, which are
rasterised here with pypdfium2 (pdfplumber's renderer, a wheel: no extra program), and
:func:`extract_image` for PNG, JPEG and TIFF files (every TIFF frame a page). Each page image is
decoded by Pillow, turned grey and handed to the ``tesseract`` program (Debian's
``tesseract-ocr``, which brings the English data) on stdin, with a time limit. ``--psm 1`` lets
tesseract detect the orientation, so a page scanned sideways reads.

Limits bound what a file may cost, each refused with its reason: ``MAX_OCR_PAGES`` pages per file,
``MAX_IMAGE_PIXELS`` pixels per image (decompression bombs: an image is measured from its header
before it is decoded; Pillow's own limit is the same number) and ``OCR_TIMEOUT_S`` per page.
"""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import warnings
from collections.abc import Iterator

from index.errors import UnreadableFile

OCR_DPI = 300
MAX_OCR_PAGES = 500
MAX_IMAGE_PIXELS = 89_478_485  # Pillow's Image.MAX_IMAGE_PIXELS: a 9,459 x 9,459 image
OCR_TIMEOUT_S = 120
TESSERACT = "tesseract"
_KINDS = {"PNG": "PNG image", "JPEG": "JPEG image", "TIFF": "TIFF image", "MPO": "JPEG image"}


def _brief(exc: BaseException) -> str:
    message = " ".join(str(exc).split("\n", 1)[0].split())[:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def check_pixels(width: int, height: int, what: str) -> None:
    """Refuse an image whose declared size is over ``MAX_IMAGE_PIXELS`` (before decoding it)."""
    if width * height > MAX_IMAGE_PIXELS:
        raise UnreadableFile(f"{what} refused: an image of {width:,} x {height:,} pixels, over "
                             f"the limit of {MAX_IMAGE_PIXELS:,} pixels (possible decompression "
                             "bomb)")


def check_page_count(count: int, what: str) -> None:
    if count > MAX_OCR_PAGES:
        raise UnreadableFile(f"{what} refused: {count:,} pages need OCR, over the limit of "
                             f"{MAX_OCR_PAGES:,} pages")


def tesseract(image: object, what: str, dpi: int = OCR_DPI) -> str:
    """The text tesseract reads in ``image`` (a Pillow image), tidied; ``what`` names it in
    reasons ("page 3", "the image")."""
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PPM")  # type: ignore[attr-defined]  # PGM: not compressed
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread per page: the machine is shared
    command = [TESSERACT, "stdin", "stdout", "-l", "eng", "--psm", "1", "--dpi", str(dpi)]
    try:
        done = subprocess.run(command, input=buf.getvalue(), capture_output=True, env=env,
                              timeout=OCR_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise UnreadableFile("OCR needs the tesseract program, which is not installed (Debian: "
                             "apt-get install tesseract-ocr)") from None
    except subprocess.TimeoutExpired:
        raise UnreadableFile(f"OCR of {what} took over {OCR_TIMEOUT_S} s (the limit)") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace")
        if "eng.traineddata" in said or "Failed loading language" in said:
            raise UnreadableFile("OCR needs tesseract's English data, which is not installed "
                                 "(Debian: apt-get install tesseract-ocr-eng)")
        last = " ".join(said.strip().splitlines()[-1:])[:200]
        raise UnreadableFile(f"OCR of {what} failed (tesseract exit {done.returncode}: {last})")
    return tidy(done.stdout.decode("utf-8", "replace"))


# What tesseract reads for a list's bullet glyph ("•") at a line's start, before an item's capital
# letter or figure: "e Overall Survival.", "¢ Weight" (both read from the scan of
# tests/index/test_ocr_gold.py: 9 and 8 lines). Neither opens an English line as a word.
_BULLET_READ = re.compile(r"^([ \t]*)[e¢][ \t]+(?=[A-Z0-9])", re.M)


def tidy(text: str) -> str:
    """Lines without trailing spaces, at most one blank line between paragraphs, no form feed;
    a bullet tesseract read as a letter or sign is a bullet again ("• Overall Survival."), so a
    scanned page's list reads as its original's does."""
    text = _BULLET_READ.sub(r"\1• ", text)
    lines = [line.rstrip() for line in text.replace("\f", "\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---- PDF pages ------------------------------------------------------------------------------

def render_pdf_pages(data: bytes, indices: list[int]) -> Iterator[tuple[int, object, int]]:
    """Each 0-based page in ``indices`` as (index, Pillow image, dpi): 300 dpi, lower for a page
    so large that 300 dpi would exceed ``MAX_IMAGE_PIXELS``."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        for index in indices:
            page = document[index]
            try:
                width, height = page.get_size()  # points
                dpi = OCR_DPI
                if width * height * (dpi / 72) ** 2 > MAX_IMAGE_PIXELS:
                    dpi = int(72 * math.sqrt(MAX_IMAGE_PIXELS / (width * height)))
                if dpi < 1:
                    raise UnreadableFile(f"PDF refused: page {index + 1} measures {width:,.0f} x "
                                         f"{height:,.0f} points, too large to read by OCR")
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                yield index, bitmap.to_pil(), dpi
            finally:
                page.close()
    finally:
        document.close()


def ocr_pdf_pages(data: bytes, indices: list[int]) -> dict[int, str]:
    """OCR text of the 0-based pages ``indices`` of a PDF (already checked for image bombs)."""
    return {index: tesseract(image, f"page {index + 1}", dpi)
            for index, image, dpi in render_pdf_pages(data, indices)}


# ---- image files ----------------------------------------------------------------------------

def extract_image(data: bytes) -> tuple[list[str], str]:
    """The OCR text of each page (TIFF frame) of an image file, and the image's kind."""
    from PIL import Image

    try:
        with warnings.catch_warnings():  # Pillow warns past its limit; check_pixels refuses
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:  # Pillow's own refusal, at twice its limit
        raise UnreadableFile(f"image refused: over the limit of {MAX_IMAGE_PIXELS:,} pixels "
                             "(possible decompression bomb)") from None
    except Image.UnidentifiedImageError:  # its message names a Python object, not the file
        raise UnreadableFile("corrupt image (Pillow cannot read it as any image format: damaged "
                             "or truncated)") from None
    except Exception as exc:  # SyntaxError, struct.error, ...
        raise UnreadableFile(f"corrupt image ({_brief(exc)})") from None
    kind = _KINDS.get(image.format or "", f"{image.format} image")
    frames = getattr(image, "n_frames", 1)
    check_page_count(frames, kind)
    pages: list[str] = []
    for frame in range(frames):
        try:
            image.seek(frame)
            check_pixels(image.width, image.height, kind)
            image.load()
        except UnreadableFile:
            raise
        except Exception as exc:  # a truncated or damaged image stream
            raise UnreadableFile(f"corrupt {kind} ({_brief(exc)})") from None
        what = "the image" if frames == 1 else f"page {frame + 1}"
        dpi = _dpi(image)
        pages.append(tesseract(image, what, dpi))
    return pages, kind


def _dpi(image: object) -> int:
    """The resolution the image states, if believable, else 300 (a scan's usual)."""
    stated = getattr(image, "info", {}).get("dpi")
    try:
        value = int(round(float(stated[0])))
    except (TypeError, ValueError, IndexError):
        return OCR_DPI
    return value if 70 <= value <= 1200 else OCR_DPI
