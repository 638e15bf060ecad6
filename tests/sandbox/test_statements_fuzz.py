"""Arbitrary bytes never crash the statement reader with anything but StatementError."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntropy_dagster.sandbox.statements import (
    ERROR_CODES,
    StatementError,
    count_pages,
    make_statement_pdf,
    parse_statement,
    verify_statement,
)

READERS: tuple[Callable[[bytes], Any], ...] = (parse_statement, verify_statement, count_pages)
# database=None: no .hypothesis directory in the repository; runs stay reproducible via derandomize.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@cache
def _statement() -> bytes:
    return make_statement_pdf(seed=6, n_transactions=12)


def _never_crashes(data: bytes) -> None:
    for read in READERS:
        try:
            read(data)
        except StatementError as exc:
            assert exc.code in ERROR_CODES
            assert exc.message


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    _never_crashes(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_dressed_as_pdf(body: bytes) -> None:
    _never_crashes(b"%PDF-1.4\n" + body + b"\n%%EOF\n")


@FUZZ
@given(st.floats(min_value=0.0, max_value=1.0))
def test_truncated_statement(keep: float) -> None:
    pdf = _statement()
    cut = pdf[: int(len(pdf) * keep)]
    _never_crashes(cut)
    _never_crashes(cut + b"\n%%EOF\n")  # past the quick truncation check, into pypdf


@FUZZ
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=30))
def test_statement_with_flipped_bytes(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_statement())
    for position, value in flips:
        data[position % len(data)] = value
    _never_crashes(bytes(data))
