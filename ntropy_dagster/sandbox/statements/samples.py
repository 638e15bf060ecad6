"""Files that are *not* good statements, for tests, examples and the sandbox's error paths."""

from __future__ import annotations

import io
import struct
import zlib

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from ntropy_dagster.sandbox.statements.render import make_statement_pdf


def make_png_bytes() -> bytes:
    """A valid 1x1 PNG image (upload it as ``statement.pdf`` to get ``invalid_file_type``)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def make_truncated_pdf(seed: int = 0, keep: float = 0.6) -> bytes:
    """A statement cut after ``keep`` of its bytes (``corrupted_file``)."""
    pdf = make_statement_pdf(seed=seed)
    return pdf[: int(len(pdf) * keep)]


def make_corrupt_pdf(seed: int = 0) -> bytes:
    """A statement whose body is junk but keeps its header and ``%%EOF`` (``corrupted_file``)."""
    pdf = make_statement_pdf(seed=seed)
    junk = bytes((i * 7 + 13) % 256 for i in range(len(pdf) - 40))
    return pdf[:15] + junk + pdf[-25:]


def make_encrypted_pdf(seed: int = 0, password: str = "secret") -> bytes:
    """A statement locked with a user password (``encrypted_file``); RC4 needs no extra crypto library."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_statement_pdf(seed=seed))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_non_statement_pdf(kind: str = "letter") -> bytes:
    """A valid PDF that is not a statement: a short ``"letter"`` or a ``"blank"`` page
    (``unparseable_statement``)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, invariant=1)
    if kind == "letter":
        canvas.setFont("Helvetica", 11)
        for i, text in enumerate(
            (
                "Dear Customer,",
                "Thank you for contacting us about your recent enquiry.",
                "We will get back to you within five working days.",
                "Kind regards, Customer Services",
            )
        ):
            canvas.drawString(72, 700 - 18 * i, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
