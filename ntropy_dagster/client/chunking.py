"""Splitting transactions into batch-sized chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

__all__ = ["MAX_BATCH_SIZE", "chunk_transactions"]

MAX_BATCH_SIZE = 24_960
"""The most transactions one ``POST /v3/batches`` accepts (contract §2.2)."""

T = TypeVar("T")


def chunk_transactions(transactions: Iterable[T], size: int = MAX_BATCH_SIZE) -> Iterator[list[T]]:
    """Lazily split ``transactions`` into lists of at most ``size`` items.

    Works on any iterable, generators included, holding only one chunk in memory at a time.
    ``size`` must be between 1 and :data:`MAX_BATCH_SIZE`.
    """
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_BATCH_SIZE}, got {size}")
    return _chunks(iter(transactions), size)


def _chunks(iterator: Iterator[T], size: int) -> Iterator[list[T]]:
    while chunk := list(islice(iterator, size)):
        yield chunk
