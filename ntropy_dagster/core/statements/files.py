"""Statement files: listing a folder (local or fsspec), stable partition keys, and pre-upload checks.

A statement's partition key is ``<stem>-<sha256[:12]>``: the file name (without extension, reduced to
``[a-z0-9._-]``) and the first 12 hex digits of the SHA-256 of its content. The same file seen again
gives the same key (never processed twice); a changed file gives a new key (processed again).
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast

from ntropy_dagster.core.statements.errors import OutsideFolderError

logger = logging.getLogger(__name__)

#: Assumption: Ntropy does not document a size limit for ``POST /v3/bank_statements``; 50 MB is assumed
#: (configurable). Larger files are rejected locally, without an upload.
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
#: Every PDF starts with this signature (ISO 32000: the header may follow up to 1 KB of junk; we accept
#: it anywhere in the first 1024 bytes, as PDF readers do).
PDF_MAGIC = b"%PDF-"
_HASH_CHUNK = 1024 * 1024
_STEM_MAX = 60
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class StatementFile:
    """A file found in the watched folder."""

    path: str
    name: str
    size: int
    mtime: float | None


@dataclass(frozen=True)
class FileProblem:
    """Why a file is not uploaded (recorded as status ``rejected``)."""

    code: str
    message: str


def statement_partition_key(name: str, content_hash: str) -> str:
    """``<stem>-<hash[:12]>`` for a file named ``name`` whose content has SHA-256 ``content_hash``."""
    stem = _UNSAFE.sub("-", PurePosixPath(name).stem.lower()).strip("-.") or "statement"
    return f"{stem[:_STEM_MAX]}-{content_hash[:12]}"


def content_hash_of(data: bytes) -> str:
    """Hex SHA-256 of a file's content."""
    return hashlib.sha256(data).hexdigest()


def check_statement_bytes(data: bytes, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileProblem | None:
    """The reason ``data`` should not be uploaded (empty, too large, not a PDF), or None if it may be."""
    if not data:
        return FileProblem("empty_file", "The file is empty (0 bytes)")
    if len(data) > max_bytes:
        return FileProblem(
            "file_too_large",
            f"The file has {len(data):,} bytes; the upload limit is {max_bytes:,} bytes",
        )
    if PDF_MAGIC not in data[:1024]:
        # The reason names a known signature at most: it never quotes the file's bytes (the file may be
        # anything, and the reason is stored and shown in the UI).
        return FileProblem(
            "invalid_file_type",
            f"The file is not a PDF ({_describe(data[:8])}; a PDF starts with {PDF_MAGIC.decode()})",
        )
    return None


def _mtime_of(info: Mapping[str, Any]) -> float | None:
    """The modification time of an fsspec listing entry as a POSIX timestamp (a datetime is converted;
    a number, or None when the filesystem lists none, is kept as it is)."""
    mtime: Any = next(
        (info[k] for k in ("mtime", "LastModified", "last_modified", "created") if info.get(k)), None
    )
    if hasattr(mtime, "timestamp"):
        return float(mtime.timestamp())
    return cast("float | None", mtime)


def _describe(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "it has a PNG signature"
    if head.startswith(b"\xff\xd8\xff"):
        return "it has a JPEG signature"
    if head.startswith(b"PK\x03\x04"):
        return "it has a ZIP signature"
    return "no PDF header in its first 1,024 bytes"


class StatementFolder:
    """A folder of statement files: a local directory, or any fsspec URL (``s3://bucket/statements``).

    fsspec is optional: it is imported only for URLs with a scheme other than ``file``. ``pattern`` is a
    case-insensitive glob on the file name (``*.pdf`` matches ``X.PDF``). Sub-folders are not searched.
    Assumption: files are moved into the folder complete (written elsewhere, then renamed); a file still
    being written is picked up as it is and picked up again, under a new key, once it changed.
    """

    def __init__(
        self,
        location: str | os.PathLike[str],
        *,
        pattern: str = "*.pdf",
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.location = os.fspath(location)
        self.pattern = pattern.lower()
        self._fs: Any = None
        self._root = self.location
        if "://" in self.location and not self.location.startswith("file://"):
            try:
                fsspec = importlib.import_module("fsspec")
            except ImportError as exc:
                raise RuntimeError(
                    f"watching {self.location!r} needs fsspec (pip install fsspec and the filesystem's "
                    "package, e.g. s3fs); local folders need nothing"
                ) from exc
            self._fs, self._root = fsspec.core.url_to_fs(self.location, **dict(storage_options or {}))
        elif self.location.startswith("file://"):
            self._root = self.location[len("file://") :]

    def __repr__(self) -> str:
        return f"StatementFolder({self.location!r}, pattern={self.pattern!r})"

    def _matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name.lower(), self.pattern)

    def list(self) -> list[StatementFile]:
        """The matching files, sorted by path. A missing local folder is an error (a typo must not pass
        silently as "no new files")."""
        if self._fs is None:
            root = Path(self._root)
            if not root.is_dir():
                raise FileNotFoundError(f"statement folder {self._root!r} does not exist")
            found = []
            for entry in os.scandir(root):
                if not (entry.is_file() and self._matches(entry.name)):
                    continue
                if entry.is_symlink() and not self._inside(entry.path):
                    logger.warning(
                        f"Skipped {entry.path}: a link to a file outside {self._root!r}, never read"
                    )
                    continue
                stat = entry.stat()
                found.append(StatementFile(entry.path, entry.name, stat.st_size, stat.st_mtime))
            return sorted(found, key=lambda f: f.path)
        found = []
        for info in self._fs.ls(self._root, detail=True):
            name = PurePosixPath(info["name"]).name
            if info.get("type") == "file" and self._matches(name):
                found.append(StatementFile(info["name"], name, int(info.get("size") or 0), _mtime_of(info)))
        return sorted(found, key=lambda f: f.path)

    def _inside(self, path: str) -> bool:
        """Whether a local ``path``, with every link resolved, is a file directly in the folder."""
        return Path(path).resolve().parent == Path(self._root).resolve()

    def _checked(self, path: str) -> str:
        """``path``, if reading it reads the folder's own file; else :class:`OutsideFolderError`."""
        if self._fs is None and not self._inside(path):
            raise OutsideFolderError(
                f"{path!r} resolves to a file outside the statement folder {self._root!r}: it is never read"
            )
        return path

    def read(self, path: str) -> bytes:
        """The content of one file (refused when a local path resolves outside the folder)."""
        if self._fs is None:
            return Path(self._checked(path)).read_bytes()
        with self._fs.open(path, "rb") as handle:
            data: bytes = handle.read()
        return data

    def hash(self, path: str) -> str:
        """Hex SHA-256 of one file, streamed (the file is not held in memory)."""
        digest = hashlib.sha256()
        opener = open if self._fs is None else self._fs.open
        with opener(self._checked(path), "rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def find(self, partition_key: str) -> StatementFile | None:
        """The file whose current content has ``partition_key`` (used when the warehouse lost the path)."""
        for file in self.list():
            # Cheap name test first: only files with the key's stem are hashed.
            if not partition_key.startswith(statement_partition_key(file.name, "")):
                continue
            if statement_partition_key(file.name, self.hash(file.path)) == partition_key:
                return file
        return None
