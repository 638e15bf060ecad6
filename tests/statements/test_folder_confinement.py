"""Nothing outside the watched folder is ever read, and no rejection reason quotes a file's content."""

import os
from pathlib import Path

import pytest

from ntropy_dagster.core.statements.errors import OutsideFolderError
from ntropy_dagster.dagster.statements import StatementFolder, check_statement_bytes
from ntropy_dagster.sandbox.statements import make_statement_pdf

PDF = make_statement_pdf(seed=5)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    inside = tmp_path / "statements"
    inside.mkdir()
    (inside / "march.pdf").write_bytes(PDF)
    return inside


def test_a_link_to_a_file_outside_the_folder_is_skipped_and_refused(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "other-customer.pdf"
    secret.parent.mkdir()
    secret.write_bytes(make_statement_pdf(seed=6))
    os.symlink(secret, folder / "linked.pdf")
    watched = StatementFolder(folder)
    assert [f.name for f in watched.list()] == ["march.pdf"]  # the link is not discovered
    for access in (watched.read, watched.hash):
        with pytest.raises(OutsideFolderError, match="outside the statement folder"):
            access(str(folder / "linked.pdf"))
    assert watched.find("linked-" + "0" * 12) is None


def test_a_link_to_a_system_file_is_never_read_nor_quoted(folder: Path) -> None:
    os.symlink("/etc/passwd", folder / "passwd.pdf")
    watched = StatementFolder(folder)
    assert [f.name for f in watched.list()] == ["march.pdf"]
    with pytest.raises(OutsideFolderError) as refused:
        watched.read(str(folder / "passwd.pdf"))
    assert "root:" not in str(refused.value)
    assert refused.value.retryable is False


def test_a_path_escaping_the_folder_with_dot_dot_is_refused(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.pdf").write_bytes(PDF)
    with pytest.raises(OutsideFolderError):
        StatementFolder(folder).read(str(folder / ".." / "outside.pdf"))


def test_a_link_between_files_of_the_folder_is_fine(folder: Path) -> None:
    os.symlink(folder / "march.pdf", folder / "march-copy.pdf")
    watched = StatementFolder(folder)
    assert [f.name for f in watched.list()] == ["march-copy.pdf", "march.pdf"]
    assert watched.read(str(folder / "march-copy.pdf")) == PDF


@pytest.mark.parametrize("content", [b"root:x:0:0:root:/root:/bin/bash\n", b"SECRET-TOKEN-123 not a pdf"])
def test_a_rejection_reason_never_quotes_the_file(content: bytes) -> None:
    problem = check_statement_bytes(content)
    assert problem is not None and problem.code == "invalid_file_type"
    assert content[:4].decode() not in problem.message
    assert "root" not in problem.message and "SECRET" not in problem.message
