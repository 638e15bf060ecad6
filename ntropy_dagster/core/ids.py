"""A compact set of transaction ids, for a partition streamed chunk by chunk.

A partition read in chunks is never held whole, but some questions span it: is this id in an earlier
chunk (a duplicate)? Which of the enriched table's rows did the raw data not have any more? An
:class:`IdSet` answers them in 8 bytes per id (a Python ``set`` of the ids takes about 90).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["IdSet"]

#: Sorted runs kept before they are merged into one (a lookup searches each run).
_MAX_RUNS = 16


class IdSet:
    """The 64-bit hashes of a set of ids, as a few sorted arrays.

    Assumption: two ids of one partition share a 64-bit hash (pandas' SipHash of the text) with a
    probability of about n^2 / 2^65 -- 3e-8 for a million ids. Such a pair would be taken for one id:
    the later row rejected as a duplicate (a visible rejection naming the row, never a silent loss).
    """

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._runs: list[npt.NDArray[np.uint64]] = []
        self._size = 0
        self.add(list(ids))

    def __len__(self) -> int:
        return self._size

    def add(self, ids: Sequence[str]) -> None:
        """Add ``ids`` (ids already in the set are counted once more; callers add new ids only)."""
        if not len(ids):
            return
        self._runs.append(np.sort(_hashes(ids)))
        self._size += len(ids)
        if len(self._runs) > _MAX_RUNS:
            self._runs = [np.sort(np.concatenate(self._runs))]

    def contains(self, ids: Sequence[str]) -> npt.NDArray[np.bool_]:
        """For each of ``ids``, whether it is in the set."""
        found = np.zeros(len(ids), dtype=bool)
        if not len(ids) or not self._runs:
            return found
        hashes = _hashes(ids)
        for run in self._runs:
            positions = np.searchsorted(run, hashes).clip(max=len(run) - 1)
            found |= run[positions] == hashes
        return found

    def __contains__(self, tx_id: object) -> bool:
        return isinstance(tx_id, str) and bool(self.contains([tx_id])[0])


def _hashes(ids: Sequence[str]) -> npt.NDArray[np.uint64]:
    hashed: npt.NDArray[np.uint64] = pd.util.hash_array(np.asarray(ids, dtype=object), categorize=False)
    return hashed
