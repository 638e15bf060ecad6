"""A partition read in chunks: submitted batch by batch as it is read, never held whole, billed once.

The real steps run against the sandbox over HTTP on each warehouse dialect; the partition comes from
``validate_stream`` over frames, as a streamed raw source gives it.
"""

import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.delta import Delta, merge_validated
from ntropy_dagster.core.enrichment import store_partition_results, submit_wait_and_store
from ntropy_dagster.core.ids import IdSet
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.rejected import InputTally, RejectionWriter
from ntropy_dagster.core.status import wait_for_partition
from ntropy_dagster.core.submission import HeldRows, balanced_sizes, submit_partition
from ntropy_dagster.core.validation import validate_stream, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from tests.core.conftest import transaction_rows

API_KEY = "streaming-test-key"
OPTIONS = PipelineOptions(batch_size=40, poll_interval=0.1, blocking_timeout=60)
PARTITION = "2025-03-01"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    path = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(path))) as running:
        yield running


@pytest.fixture
def client(server: SandboxServer) -> Iterator[NtropyClient]:
    with NtropyClient(api_key=API_KEY, base_url=server.base_url) as running:
        yield running


def _frames(rows: list[dict[str, Any]], size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(rows), size):
        yield pd.DataFrame(rows[start : start + size])


def _batch_sizes(server: SandboxServer) -> list[int]:
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": API_KEY}) as http:
        page = http.get("/v3/batches", params={"limit": 1000}).raise_for_status().json()
    return [int(b["total"]) for b in page["data"]]


def _enriched(warehouse: Warehouse) -> dict[str, float]:
    table = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        return dict(conn.execute(sa.select(table.c.transaction_id, table.c.amount)).all())


def test_batches_are_sent_while_the_partition_is_still_being_read(
    client: NtropyClient, server: SandboxServer, warehouse: Warehouse
) -> None:
    """The first batch is POSTed before the last frame is read: nothing waits for the whole partition."""
    prefix = f"early-{uuid.uuid4().hex[:6]}"
    batches_when_read: list[int] = []
    before = len(_batch_sizes(server))

    def frames() -> Iterator[pd.DataFrame]:
        for frame in _frames(transaction_rows(200, prefix=prefix), 25):
            batches_when_read.append(len(_batch_sizes(server)) - before)
            yield frame

    submission, result = submit_wait_and_store(
        client, warehouse, validate_stream(frames()), partition_key=PARTITION, options=OPTIONS
    )
    assert len(batches_when_read) == 8
    # Two batches' rows are held back (the partition's last two are balanced): frame 4 brings 100 rows,
    # and a batch of 40 is sent before frame 5 is read; three are sent before the last frame is.
    assert batches_when_read[:5] == [0, 0, 0, 0, 1]
    assert batches_when_read[-1] == 3
    assert submission.transactions_submitted == 200 and len(submission.submitted) == 5
    assert result.rows_written == 200 and len(_enriched(warehouse)) == 200


def test_the_last_batches_of_a_partition_are_balanced(
    client: NtropyClient, server: SandboxServer, warehouse: Warehouse
) -> None:
    """130 rows in batches of at most 40: 40, 40, then the last 50 as 25 + 25 (not 40 + 10)."""
    rows = transaction_rows(130, prefix=f"tail-{uuid.uuid4().hex[:6]}")
    submission, _ = submit_wait_and_store(
        client, warehouse, validate_stream(_frames(rows, 30)), partition_key=PARTITION, options=OPTIONS
    )
    sizes = [client.batches.get(batch_id).total for batch_id in submission.submitted]
    assert sizes == [40, 40, 25, 25] and submission.transactions_submitted == 130
    assert balanced_sizes(25_000, 24_960) == [12_500, 12_500]
    assert balanced_sizes(49_921, 24_960) == [16_641, 16_640, 16_640]
    assert balanced_sizes(24_960, 24_960) == [24_960] and balanced_sizes(0, 24_960) == []


def test_a_streamed_rerun_sends_only_what_changed_and_removes_what_left(
    client: NtropyClient, server: SandboxServer, warehouse: Warehouse
) -> None:
    prefix = f"rerun-{uuid.uuid4().hex[:6]}"
    rows = transaction_rows(130, prefix=prefix)
    first, _ = submit_wait_and_store(
        client, warehouse, validate_stream(_frames(rows, 30)), partition_key=PARTITION, options=OPTIONS
    )
    assert first.transactions_submitted == 130
    # Two rows change (one in the first frame, one in the last), five leave the partition.
    changed = [dict(r) for r in rows[:-5]]
    changed[3]["amount"], changed[120]["amount"] = 99.0, 98.0
    sizes_before = _batch_sizes(server)
    second, result = submit_wait_and_store(
        client, warehouse, validate_stream(_frames(changed, 30)), partition_key=PARTITION, options=OPTIONS
    )
    assert second.transactions_submitted == 2 and (second.changed, second.unchanged) == (2, 123)
    assert len(_batch_sizes(server)) == len(sizes_before) + 1
    enriched = _enriched(warehouse)
    assert len(enriched) == 125 and result.stale_rows_deleted == 5
    assert enriched[f"{prefix}-00003"] == 99.0 and enriched[f"{prefix}-00120"] == 98.0


def test_an_id_of_an_earlier_chunk_is_rejected_naming_the_row(
    client: NtropyClient, warehouse: Warehouse
) -> None:
    """Across chunks the first row of an id wins; the later one is a rejection, not a silent drop."""
    prefix = f"dup-{uuid.uuid4().hex[:6]}"
    rows = transaction_rows(20, prefix=prefix)
    rows[15] = {**rows[2], "amount": 55.0}  # the id of row 2 again, in the second frame
    chunks = list(validate_stream(_frames(rows, 10)))
    tally = InputTally()
    for chunk in chunks:
        tally.add(chunk)
    assert (tally.valid_rows, tally.rejected_rows, tally.duplicate_ids) == (19, 1, 1)
    [rejection] = chunks[1].rejected
    assert rejection.row_number == 15 and rejection.field == "id"
    assert f"{prefix}-00002" in rejection.reason and "earlier chunk" in rejection.reason
    writer = RejectionWriter(warehouse, PARTITION)
    for chunk in chunks:
        writer.add(chunk)
    submit_wait_and_store(client, warehouse, chunks, partition_key=PARTITION, options=OPTIONS)
    assert _enriched(warehouse)[f"{prefix}-00002"] == rows[2]["amount"]
    table = warehouse.tables.rejected_transactions
    with warehouse.engine.connect() as conn:
        assert conn.execute(sa.select(table.c.row_number)).scalars().all() == [15]


def test_row_numbers_count_from_the_start_of_the_partition() -> None:
    rows = transaction_rows(12)
    rows[9]["currency"] = "DOLLARS"
    chunks = list(validate_stream(_frames(rows, 5)))
    assert [c.raw_rows for c in chunks] == [5, 5, 2]
    assert [(r.row_number, r.field) for r in chunks[1].rejected] == [(9, "currency")]
    assert chunks[2].row_numbers == [10, 11]
    merged = merge_validated(chunks)
    assert [p["id"] for p in merged.payloads] == sorted(r["id"] for i, r in enumerate(rows) if i != 9)
    assert merged.raw_rows == 12 and len(merged.rejected) == 1


def test_the_results_step_reads_the_payloads_the_ledger_recorded(
    client: NtropyClient, warehouse: Warehouse
) -> None:
    """Sensor mode: the results are stored from the intents' payloads; the raw data is only read for
    which rows are still current, a chunk at a time."""
    prefix = f"ledger-{uuid.uuid4().hex[:6]}"
    rows = transaction_rows(90, prefix=prefix)
    ledger = SubmissionLedger(warehouse)
    submitted = submit_partition(
        client, ledger, validate_stream(_frames(rows, 35)), partition_key=PARTITION, options=OPTIONS
    )
    assert submitted.transactions_submitted == 90 and len(submitted.submitted) == 3
    pending = ledger.pending(PARTITION)
    recorded = [p for row in pending for p in ledger.payloads(row) or ()]
    assert sorted(p["id"] for p in recorded) == [r["id"] for r in rows]
    wait_for_partition(client, ledger, PARTITION, timeout=30, poll_interval=0.1)
    result = store_partition_results(
        client, ledger, warehouse, validate_stream(_frames(rows, 35)), partition_key=PARTITION, batch_size=40
    )
    assert result.rows_written == 90 and result.stale_results == 0
    assert len(_enriched(warehouse)) == 90 and ledger.pending(PARTITION) == []


def test_a_whole_frame_and_its_chunks_give_the_same_enriched_table(
    client: NtropyClient, warehouse: Warehouse, tmp_path: Path
) -> None:
    prefix = f"same-{uuid.uuid4().hex[:6]}"
    rows = transaction_rows(75, prefix=prefix)
    submit_wait_and_store(
        client, warehouse, validate_stream(_frames(rows, 20)), partition_key="streamed", options=OPTIONS
    )
    other = Warehouse(f"sqlite:///{tmp_path / 'whole.db'}")
    other.ensure_schema()
    submit_wait_and_store(
        client,
        other,
        validate_transactions(pd.DataFrame(rows)),
        partition_key="streamed",
        options=OPTIONS,
    )
    columns = [
        "transaction_id",
        "amount",
        "description",
        "counterparty_name",
        "category_general",
        "fingerprint",
    ]

    def table(wh: Warehouse) -> pd.DataFrame:
        t = wh.tables.enriched_transactions
        with wh.engine.connect() as conn:
            query = sa.select(*(t.c[c] for c in columns)).order_by(t.c.transaction_id)
            return pd.DataFrame(conn.execute(query).all(), columns=columns)

    pd.testing.assert_frame_equal(table(warehouse), table(other))
    other.dispose()


def test_id_set_membership() -> None:
    ids = IdSet(f"id-{i}" for i in range(1000))
    for start in range(1000, 40_000, 1000):  # more runs than are kept before a merge
        ids.add([f"id-{i}" for i in range(start, start + 1000)])
    assert len(ids) == 40_000
    probe = ["id-0", "id-39999", "id-40000", "nope", "id-20500"]
    assert ids.contains(probe).tolist() == [True, True, False, False, True]
    assert "id-7" in ids and "id-x" not in ids and IdSet().contains(["a"]).tolist() == [False]


def test_held_rows_come_back_in_order_as_they_were_held() -> None:
    held = HeldRows()
    payloads = [
        {"id": f"t{i:03d}", "amount": i + 0.25, "date": "2025-03-01", "note": None} for i in range(70)
    ]
    for start in (0, 30, 60):  # three chunks' rows to send: 30, 30 and 10
        part = payloads[start : start + 30]
        held.add(Delta(payloads=part, fingerprints=[f"fp-{p['id']}" for p in part]))
    held.add(Delta())  # a chunk with nothing to send
    assert held.count == 70
    first = held.take(40)  # a whole chunk and part of the next: the rest stays held
    assert first.payloads == payloads[:40] and first.fingerprints == [f"fp-t{i:03d}" for i in range(40)]
    assert held.count == 30
    rest = held.take(100)
    assert rest.payloads == payloads[40:] and len(rest.fingerprints) == 30 and held.count == 0
    assert held.take(5) == Delta()


def test_validate_stream_keeps_no_chunk_it_handed_over() -> None:
    # The consumer decides when a chunk's rows go: the stream must not hold them until the next chunk.
    stream = validate_stream(_frames(transaction_rows(60, prefix="handover"), 30))
    first = next(stream)
    handed = weakref.ref(first)
    del first
    assert handed() is None
    assert len(next(stream).payloads) == 30
