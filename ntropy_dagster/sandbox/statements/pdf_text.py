"""Open untrusted PDF bytes safely and read positioned text out of them.

Every failure becomes a :class:`StatementError`; nothing else escapes. Text comes from pypdf's
``extract_text(visitor_text=...)`` callback, which reports each text run with its position, so the parser can
work with columns by x coordinate instead of guessing from flattened text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PageObject, PdfReader
from reportlab.pdfbase.pdfmetrics import standardFonts, stringWidth

from ntropy_dagster.sandbox.statements.errors import StatementError

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (e.g. a DOCX or XLSX file)",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
}
LINE_TOLERANCE = 1.5  # points: runs whose baselines differ less than this share a line


@dataclass(frozen=True)
class Chunk:
    """One run of text as drawn: left/right edge, baseline and font size, in PDF points."""

    x0: float
    x1: float
    y: float
    size: float
    text: str


@dataclass(frozen=True)
class Line:
    """Chunks sharing a baseline, left to right."""

    y: float
    chunks: tuple[Chunk, ...]

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.chunks)


@dataclass(frozen=True)
class Page:
    """The text lines of one page, top to bottom."""

    number: int
    width: float
    lines: tuple[Line, ...]


def _describe_magic(data: bytes) -> str:
    for magic, name in _MAGIC.items():
        if data.startswith(magic):
            return name
    return "not a PDF"


def open_pdf(data: bytes) -> PdfReader:
    """A reader for ``data`` with at least one page, or :class:`StatementError`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StatementError("invalid_file_type", f"expected PDF bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.strip():
        raise StatementError("empty_file", "the file is empty")
    if b"%PDF-" not in data[:1024]:
        raise StatementError("invalid_file_type", f"the file is {_describe_magic(data)}, expected a PDF")
    if b"%%EOF" not in data[-2048:]:
        raise StatementError("corrupted_file", "the PDF is truncated (no %%EOF marker at the end)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Owner-password-only PDFs open with an empty user password; anything else is locked.
            try:
                unlocked = bool(reader.decrypt(""))
            except Exception:
                unlocked = False
            if not unlocked:
                raise StatementError("encrypted_file", "the PDF is password protected")
        pages = len(reader.pages)
    except StatementError:
        raise
    except Exception as exc:
        raise StatementError("corrupted_file", f"the PDF cannot be read: {type(exc).__name__}") from exc
    if pages == 0:
        raise StatementError("corrupted_file", "the PDF has no pages")
    return reader


def _run_width(text: str, font: str, size: float) -> float:
    if font in standardFonts:
        return stringWidth(text, font, size)
    return 0.5 * size * len(text)  # Assumption: a rough average glyph width for embedded fonts.


def _group_lines(chunks: list[Chunk]) -> tuple[Line, ...]:
    chunks.sort(key=lambda c: (-c.y, c.x0))
    lines: list[list[Chunk]] = []
    for chunk in chunks:
        if lines and abs(lines[-1][0].y - chunk.y) < LINE_TOLERANCE:
            lines[-1].append(chunk)
        else:
            lines.append([chunk])
    return tuple(Line(group[0].y, tuple(sorted(group, key=lambda c: c.x0))) for group in lines)


def _page_chunks(page: PageObject) -> list[Chunk]:
    chunks: list[Chunk] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float) -> None:
        text = text.strip()
        if not text:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        eff = float(size) * (abs(tm[3] * cm[3]) or 1.0)
        base = str(font.get("/BaseFont", "")).lstrip("/") if isinstance(font, dict) else ""
        chunks.append(Chunk(x, x + _run_width(text, base, eff), y, eff, text))

    page.extract_text(visitor_text=visit)
    return chunks


def read_pages(reader: PdfReader, *, first_only: bool = False) -> list[Page]:
    """Positioned text of every page (or only the first); unreadable content is ``corrupted_file``."""
    try:
        selected = [reader.pages[0]] if first_only else list(reader.pages)
        return [
            Page(number, float(page.mediabox.width), _group_lines(_page_chunks(page)))
            for number, page in enumerate(selected, start=1)
        ]
    except Exception as exc:
        raise StatementError(
            "corrupted_file", f"the PDF content cannot be read: {type(exc).__name__}"
        ) from exc
