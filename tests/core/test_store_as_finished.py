"""Blocking mode stores each batch as soon as it finishes while the run waits for the others, and (unless
``store_while_submitting`` is off) while the next POST is in flight; a failure while storing loses no batch that
was being sent.

The real steps run against the sandbox over HTTP on each warehouse dialect. The client's transport is a
plain ``httpx.HTTPTransport`` behind a slow link (:class:`SlowPosts`: each ``POST /v3/batches`` takes a
while to be sent), which also notes what the warehouse held when each answer came back.
"""

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster.client import InternalServerError, NtropyClient, RetryPolicy
from ntropy_dagster.core.enrichment import submit_wait_and_store
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from tests.core.conftest import transaction_rows

API_KEY = "store-as-finished-key"
#: 120 rows in batches of 40: three batches, each POSTed once the one before it was recorded.
OPTIONS = PipelineOptions(batch_size=40, poll_interval=0.1, blocking_timeout=60)
ONLY_WHILE_WAITING = dataclasses.replace(OPTIONS, store_while_submitting=False)


class SlowPosts(httpx.BaseTransport):
    """Real HTTP; each ``POST /v3/batches`` waits ``delay`` s before it is sent; notes every answer.

    ``results_error`` answers ``GET /v3/batches/{id}/results`` with that status instead (a failing link).
    """

    def __init__(self, warehouse: Warehouse, delay: float, results_error: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.warehouse, self.delay, self.results_error = warehouse, delay, results_error
        self.batch_ids: list[str] = []
        #: (batch index, its status) of each status answer, with the enriched rows stored at that moment.
        self.status_answers: list[tuple[int, str, int]] = []
        #: The enriched rows stored when each POST's answer arrived.
        self.stored_at_post_answer: list[int] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/v3/batches":
            self.threads.add(threading.current_thread().name)
            time.sleep(self.delay)
            response = self.inner.handle_request(request)
            response.read()
            with self._lock:
                self.batch_ids.append(json.loads(response.content)["id"])
                self.stored_at_post_answer.append(_stored(self.warehouse))
            return response
        if path.endswith("/results") and self.results_error is not None:
            return httpx.Response(self.results_error, json={"detail": "injected"}, request=request)
        response = self.inner.handle_request(request)
        batch_id = path.rsplit("/", 1)[-1]
        if request.method == "GET" and batch_id in self.batch_ids:
            response.read()
            status = json.loads(response.content)["status"]
            self.status_answers.append((self.batch_ids.index(batch_id), status, _stored(self.warehouse)))
        return response

    def close(self) -> None:
        self.inner.close()


def _stored(warehouse: Warehouse) -> int:
    table = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


@pytest.fixture(scope="module")
def instant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    path = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(path))) as running:
        yield running


def _client(server: SandboxServer, transport: httpx.BaseTransport | None = None) -> NtropyClient:
    return NtropyClient(
        api_key=API_KEY,
        base_url=server.base_url,
        transport=transport,
        retry=RetryPolicy(max_attempts=1),
    )


def _batches_of(server: SandboxServer, ids: set[str]) -> int:
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": API_KEY}) as http:
        page = http.get("/v3/batches", params={"limit": 1000}).raise_for_status().json()
    return sum(1 for b in page["data"] if b["id"] in ids)


@pytest.mark.parametrize(
    ("options", "stored_at_post_answers"),
    [
        # The instant sandbox finishes a batch as it answers its POST: the first batch's 40 rows are
        # stored while the second POST is on its way, and the first two batches' while the third is.
        (OPTIONS, [0, 40, 80]),
        # Without the option nothing is stored while the step submits: all after the POSTs.
        (ONLY_WHILE_WAITING, [0, 0, 0]),
    ],
    ids=["store_while_submitting", "only_while_waiting"],
)
def test_a_finished_batch_is_stored_while_the_next_post_is_in_flight(
    instant: SandboxServer, warehouse: Warehouse, options: PipelineOptions, stored_at_post_answers: list[int]
) -> None:
    validated = validate_transactions(
        pd.DataFrame(transaction_rows(120, prefix=f"over-{uuid.uuid4().hex[:6]}"))
    )
    link = SlowPosts(warehouse, delay=1.0)
    with _client(instant, link) as client:
        submission, result = submit_wait_and_store(
            client, warehouse, validated, partition_key="p", options=options
        )
    assert len(link.batch_ids) == 3 and submission.batch_ids == link.batch_ids
    assert link.stored_at_post_answer == stored_at_post_answers
    # POSTs leave the run's thread only to make room for storing.
    assert ("MainThread" in link.threads) is (not options.store_while_submitting)
    assert result.rows_written == 120 and sorted(result.batch_ids) == sorted(link.batch_ids)
    assert _stored(warehouse) == 120
    assert not SubmissionLedger(warehouse).pending("p")


def test_a_failure_while_storing_records_the_batch_in_flight_and_a_rerun_sends_nothing_again(
    instant: SandboxServer, warehouse: Warehouse
) -> None:
    validated = validate_transactions(
        pd.DataFrame(transaction_rows(120, prefix=f"fail-{uuid.uuid4().hex[:6]}"))
    )
    link = SlowPosts(warehouse, delay=0.5, results_error=500)
    with _client(instant, link) as client, pytest.raises(InternalServerError, match="results"):
        submit_wait_and_store(client, warehouse, validated, partition_key="p", options=OPTIONS)
    # The results of the first batch failed while the second batch's POST was in flight: that batch is
    # recorded all the same, and nothing more was sent.
    assert len(link.batch_ids) == 2
    recorded = [r.batch_id for r in SubmissionLedger(warehouse).pending("p")]
    assert sorted(recorded) == sorted(link.batch_ids)

    with _client(instant) as client:
        submission, result = submit_wait_and_store(
            client, warehouse, validated, partition_key="p", options=OPTIONS
        )
    assert submission.transactions_submitted == 40  # the third chunk only
    assert set(link.batch_ids) <= set(result.batch_ids) and len(result.batch_ids) == 3
    assert _batches_of(instant, set(result.batch_ids)) == 3
    assert _stored(warehouse) == 120


def test_a_batch_that_finished_first_is_stored_while_the_others_still_process(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # 20 transactions a second: each batch of 40 takes 2 s, and each POST 0.5 s to send, so the first
    # batch finishes about a second before the third does.
    config = SandboxConfig(api_keys=(API_KEY,), db_path=str(tmp_path / "slow.db"), rate=20.0)
    validated = validate_transactions(
        pd.DataFrame(transaction_rows(120, prefix=f"wait-{uuid.uuid4().hex[:6]}"))
    )
    with run_sandbox(config) as slow:
        link = SlowPosts(warehouse, delay=0.5)
        with _client(slow, link) as client:
            _, result = submit_wait_and_store(
                client, warehouse, validated, partition_key="p", options=OPTIONS
            )
    assert result.rows_written == 120
    last = [(status, stored) for index, status, stored in link.status_answers if index == 2]
    assert ("processing", 40) in last, link.status_answers
