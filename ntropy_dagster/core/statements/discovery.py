"""Find the statement files of a folder that no partition has yet.

A file's partition key is ``<stem>-<sha256[:12]>`` (:func:`~ntropy_dagster.core.statements.files.
statement_partition_key`). Hashing reads the whole file, so the caller keeps a cursor of
``path -> [size, mtime, sha256]`` and unchanged files are not read again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ntropy_dagster.core.statements.files import StatementFolder, statement_partition_key


@dataclass(frozen=True)
class NewStatement:
    """A file whose partition key is not known yet."""

    path: str
    content_hash: str
    size: int


@dataclass
class FolderScan:
    """What :func:`scan_folder` found: the new files by key, and the cursor to keep."""

    files: int
    cursor: dict[str, list[Any]] = field(default_factory=dict)
    new: dict[str, NewStatement] = field(default_factory=dict)
    out_of_time: bool = False


def scan_folder(
    folder: StatementFolder,
    *,
    seen: dict[str, Any],
    known_keys: set[str],
    deadline: float,
    max_new: int,
) -> FolderScan:
    """List the folder and key each file; the keys not in ``known_keys`` are new (at most ``max_new``).

    ``seen`` is the previous cursor (``path -> [size, mtime, sha256]``): a file with the same size and
    mtime is not hashed again. Files not hashed for lack of time (``deadline``, ``time.monotonic()``) or
    room are left out of the cursor, so the next scan picks them up.
    """
    files = folder.list()
    scan = FolderScan(files=len(files))
    for file in files:
        cached = seen.get(file.path)
        if cached and cached[0] == file.size and cached[1] == file.mtime:
            digest = cached[2]
        elif time.monotonic() > deadline or len(scan.new) >= max_new:
            scan.out_of_time = True
            continue
        else:
            digest = folder.hash(file.path)
        scan.cursor[file.path] = [file.size, file.mtime, digest]
        key = statement_partition_key(file.name, digest)
        if key not in known_keys and key not in scan.new:
            scan.new[key] = NewStatement(file.path, digest, file.size)
    return scan
