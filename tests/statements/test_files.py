"""Statement files: partition keys, pre-upload checks, local and fsspec folders, the discovery sensor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import fsspec
import pytest

from ntropy_dagster.core.statements.files import content_hash_of
from ntropy_dagster.core.statements.state import DISCOVERED, StatementState
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.dagster.statements import (
    PARTITIONS_NAME,
    StatementFolder,
    build_bank_statement_assets,
    check_statement_bytes,
    statement_partition_key,
)
from ntropy_dagster.sandbox.statements import make_corrupt_pdf, make_png_bytes, make_statement_pdf
from tests.statements.conftest import evaluate_sensor

PDF = make_statement_pdf(seed=3)


def test_partition_key_is_a_clean_stem_and_a_content_hash() -> None:
    digest = content_hash_of(PDF)
    key = statement_partition_key("Statement (Jan 2025) FINAL.PDF", digest)
    assert key == f"statement-jan-2025-final-{digest[:12]}"
    assert statement_partition_key("Statement (Jan 2025) FINAL.PDF", digest) == key
    assert statement_partition_key("Statement (Jan 2025) FINAL.PDF", content_hash_of(PDF + b"\n")) != key
    assert statement_partition_key("%%%.pdf", digest).startswith("statement-")
    assert len(statement_partition_key("x" * 300 + ".pdf", digest)) == 60 + 1 + 12


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (make_png_bytes(), "invalid_file_type"),
        (b"PK\x03\x04 zipped", "invalid_file_type"),
        (b"%PDF-1.4" + b"x" * 2000, "file_too_large"),
    ],
)
def test_files_that_must_not_be_uploaded(data: bytes, code: str) -> None:
    problem = check_statement_bytes(data, max_bytes=1000)
    assert problem is not None and problem.code == code
    assert problem.message


def test_pdfs_pass_the_local_check_even_when_the_api_will_reject_them() -> None:
    assert check_statement_bytes(PDF) is None
    assert check_statement_bytes(make_corrupt_pdf()) is None  # a PDF header: only the API can tell
    assert check_statement_bytes(b"\n\n%PDF-1.7 junk") is None


def test_local_folder_lists_matching_files_case_insensitively(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(PDF)
    (tmp_path / "B.PDF").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub.pdf").mkdir()
    folder = StatementFolder(tmp_path)
    assert [f.name for f in folder.list()] == ["B.PDF", "a.pdf"]
    assert folder.hash(str(tmp_path / "a.pdf")) == content_hash_of(PDF)
    key = statement_partition_key("a.pdf", content_hash_of(PDF))
    found = folder.find(key)
    assert found is not None and found.name == "a.pdf"
    assert folder.find(statement_partition_key("a.pdf", content_hash_of(b"other"))) is None
    with pytest.raises(FileNotFoundError, match="does not exist"):
        StatementFolder(tmp_path / "missing").list()


@pytest.fixture
def memory_folder() -> Iterator[str]:
    fs = fsspec.filesystem("memory")
    root = "/ntropy-statements-test"
    fs.mkdir(root)
    yield f"memory://{root}"
    fs.rm(root, recursive=True)


def test_fsspec_urls_are_listed_and_read(memory_folder: str) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{memory_folder}/one.pdf", PDF)
    fs.pipe(f"{memory_folder}/two.txt", b"x")
    folder = StatementFolder(memory_folder)
    (file,) = folder.list()
    assert file.name == "one.pdf" and file.size == len(PDF)
    assert folder.read(file.path) == PDF
    assert folder.hash(file.path) == content_hash_of(PDF)


def _discover(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> Any:
    return evaluate_sensor(defs, instance, "ntropy_bank_statement_discovery_sensor", cursor)


def test_discovery_sensor_over_fsspec_adds_new_and_changed_files_once(
    memory_folder: str, tmp_path: Path
) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{memory_folder}/jan.pdf", PDF)
    pipeline = build_bank_statement_assets(memory_folder)
    warehouse = NtropyWarehouseResource(url=f"sqlite:///{tmp_path / 'wh.db'}")
    # Discovery never calls the API: the Ntropy resource only completes the definitions.
    ntropy = NtropyResource(api_key="unused", base_url="http://127.0.0.1:9")
    defs = dg.Definitions(
        assets=pipeline.assets,
        asset_checks=pipeline.asset_checks,
        sensors=pipeline.sensors,
        resources={"ntropy_warehouse": warehouse, "ntropy": ntropy},
    )
    with dg.instance_for_test() as instance:
        first = _discover(defs, instance, None)
        jan = statement_partition_key("jan.pdf", content_hash_of(PDF))
        assert [(r.partition_key, r.run_key) for r in first.run_requests] == [(jan, jan)]
        row = StatementState(warehouse.get_warehouse()).get(jan)
        assert row is not None and row.status == DISCOVERED and row.file_path.endswith("/jan.pdf")

        second = _discover(defs, instance, first.cursor)
        assert not second.run_requests and "No new statement files" in second.skip_message

        changed = make_statement_pdf(seed=4)
        fs.pipe(f"{memory_folder}/jan.pdf", changed)
        fs.pipe(f"{memory_folder}/feb.pdf", PDF)  # same content, other name: its own statement
        third = _discover(defs, instance, second.cursor)
        assert sorted(r.partition_key for r in third.run_requests) == sorted(
            [
                statement_partition_key("jan.pdf", content_hash_of(changed)),
                statement_partition_key("feb.pdf", content_hash_of(PDF)),
            ]
        )
        assert len(instance.get_dynamic_partitions(PARTITIONS_NAME)) == 3
