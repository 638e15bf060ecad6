"""The API answers with faults: a 429 storm, bursts of 500 and 503, responses slower than the client's
timeout, a batch forced into ``error`` whose resubmission meets a 500. The pipeline heals (client retries
honouring ``Retry-After``, Dagster's step retries, adoption of a batch whose POST timed out, the batch
sensor's resubmission and resume requests) with every valid row enriched once and nothing billed twice.

The faults are the sandbox's own (its per-endpoint rate limits, bursts, response delay, forced errors).
A :class:`Wiretap`, wrapped around the sandbox's middleware in the test process, sees every ``/v3``
exchange (endpoint, request id, status, ``Retry-After``, times) so that each test proves the faults
really happened and how the client met them; it also arms a fault at the N-th request to an endpoint
(calling the sandbox's ``FaultState`` as ``POST /_sandbox/faults/burst`` and ``PUT /_sandbox/faults``
do), since the admin routes cannot aim a fault at one endpoint.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import dagster as dg
import pytest
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.sandbox import SandboxServer
from ntropy_dagster.sandbox.faults import FaultState
from ntropy_dagster.sandbox.middleware import SandboxMiddleware
from tests.reliability.kit import (
    BillingJournal,
    ForkServer,
    Rows,
    SensorDaemon,
    Spec,
    admin,
    assert_billed_once,
    assert_settled,
    open_warehouse,
    record,
    rows_for,
)

PARTITIONS = ["2025-03-01", "2025-03-02"]
PARTITION = PARTITIONS[0]
CHUNK = 8
VALID = 3 * CHUNK

POST_BATCH = "POST /v3/batches"
LIST_BATCHES = "GET /v3/batches"
GET_BATCH = "GET /v3/batches/{batch_id}"
RESULTS = "GET /v3/batches/{batch_id}/results"


# -- the wiretap ---------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One ``/v3`` request and the answer the sandbox sent."""

    endpoint: str
    request_id: str
    started: float
    status: int | None = None
    retry_after: float | None = None
    answered: float | None = None


@dataclass
class Wiretap:
    """Every ``/v3`` exchange of the sandbox, in arrival order; faults armed at the N-th request."""

    exchanges: list[Exchange] = field(default_factory=list)
    _arms: dict[tuple[str, int], list[Callable[[FaultState], object]]] = field(default_factory=dict)
    _holds: dict[tuple[str, int], float] = field(default_factory=dict)
    _seen: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = SandboxMiddleware.__call__
        tap = self

        async def tapped(self: SandboxMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not str(scope["path"]).startswith("/v3/"):
                await original(self, scope, receive, send)
                return
            endpoint = self._endpoint(scope) or f"{scope['method']} {scope['path']}"
            exchange = Exchange(endpoint, Headers(scope=scope).get("x-request-id", ""), time.monotonic())
            with tap._lock:
                tap.exchanges.append(exchange)
                tap._seen[endpoint] += 1
                arms = tap._arms.pop((endpoint, tap._seen[endpoint]), [])
                hold = tap._holds.pop((endpoint, tap._seen[endpoint]), None)
            for arm in arms:  # before the middleware consults the faults: this request is the first hit
                arm(self.context.faults)
            if hold is not None:
                receive = await _held(receive, hold)

            async def observed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = Headers(raw=message.get("headers", []))
                    exchange.status = int(message["status"])
                    value = headers.get("retry-after")
                    exchange.retry_after = float(value) if value is not None else None
                    exchange.answered = time.monotonic()
                await send(message)

            await original(self, scope, receive, observed)

        monkeypatch.setattr(SandboxMiddleware, "__call__", tapped)

    def arm(self, endpoint: str, nth: int, action: Callable[[FaultState], object]) -> None:
        """Run ``action`` on the sandbox's faults when the ``nth`` request to ``endpoint`` arrives."""
        with self._lock:
            self._arms.setdefault((endpoint, nth), []).append(action)

    def hold(self, endpoint: str, nth: int, seconds: float) -> None:
        """Hand the ``nth`` request to ``endpoint`` (its body read in full first) to the sandbox only
        ``seconds`` later, as a queue in front of an API would: it is handled even if the client left."""
        with self._lock:
            self._holds[(endpoint, nth)] = seconds

    @property
    def unfired(self) -> list[tuple[str, int]]:
        with self._lock:
            return sorted(self._arms)

    def to(self, endpoint: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.endpoint == endpoint]

    def statuses(self, endpoint: str) -> list[int | None]:
        return [e.status for e in self.to(endpoint)]

    def answered(self, status: int, endpoint: str | None = None) -> int:
        """How many requests (to ``endpoint``, or any) were answered ``status``."""
        with self._lock:
            return sum(1 for e in self.exchanges if e.status == status and endpoint in (None, e.endpoint))

    def waits_after(self, status: int) -> list[tuple[float, float]]:
        """(``Retry-After`` sent, seconds until the same request was sent again) per ``status`` answer that
        was retried."""
        with self._lock:
            exchanges = list(self.exchanges)
        out = []
        for i, e in enumerate(exchanges):
            if e.status != status or e.answered is None:
                continue
            again = next((n for n in exchanges[i + 1 :] if n.request_id == e.request_id), None)
            if again is not None:
                out.append((e.retry_after or 0.0, again.started - e.answered))
        return out


async def _held(receive: Receive, seconds: float) -> Receive:
    """Read the request's body now, wait ``seconds``, and return a ``receive`` that replays it."""
    body, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body.append(message.get("body", b""))
        more = bool(message.get("more_body"))
    await asyncio.sleep(seconds)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": b"".join(body), "more_body": False}

    return replay


def bursts(*statuses: int) -> Callable[[FaultState], object]:
    """The action of ``POST /_sandbox/faults/burst`` ``{"status": s, "count": 1, "retry_after": null}`` for
    each of ``statuses``: this request and the next ones get them, in order."""
    return lambda faults: [faults.add_burst(status, 1, None) for status in statuses]


def set_faults(**changes: Any) -> Callable[[FaultState], object]:
    """The action of ``PUT /_sandbox/faults``."""
    return lambda faults: faults.update(changes)


@pytest.fixture
def tap(monkeypatch: pytest.MonkeyPatch) -> Wiretap:
    wiretap = Wiretap()
    wiretap.install(monkeypatch)
    return wiretap


def _spec(mode: str, server: SandboxServer, warehouse_url: str, rows: Rows, **kwargs: Any) -> Spec:
    partition = str(kwargs.pop("partition", PARTITION))
    return Spec(
        mode=mode,
        partition_key=partition,
        rows=rows,
        base_url=server.base_url,
        warehouse_url=warehouse_url,
        partitions=PARTITIONS,
        batch_size=CHUNK,
        **kwargs,
    )


# -- 1. a 429 storm ----------------------------------------------------------------------------------------


def test_a_429_storm_on_the_batch_endpoints_is_waited_out_with_retry_after(
    fork_server: ForkServer, journal: BillingJournal, sandbox: SandboxServer, warehouse_url: str, tap: Wiretap
) -> None:
    """Two partitions at once against batch endpoints limited to 2 requests/s: the sandbox's rate limiter
    answers 429 with ``Retry-After`` to POSTs, status GETs and downloads; the client waits as told."""
    limits = {POST_BATCH: 2.0, GET_BATCH: 2.0, RESULTS: 2.0}
    admin(sandbox.base_url, "PUT", "/_sandbox/faults", json={"rate_limit": True, "rate_limits": limits})
    rows = {p: rows_for(f"storm-{i}", VALID, invalid=1) for i, p in enumerate(PARTITIONS)}
    # POSTs on the step's thread: each partition's status GETs and downloads then come in a burst after
    # its POSTs, which the limit of 2/s is sure to answer with 429s (stored while submitting, they are
    # spread between the POSTs' Retry-After waits, and may not hit it).
    specs = [
        _spec(
            "blocking",
            sandbox,
            warehouse_url,
            rows[p],
            partition=p,
            max_attempts=8,
            store_while_submitting=False,
        )
        for p in PARTITIONS
    ]
    outcomes = fork_server.run(*specs)
    assert all(o.succeeded for o in outcomes), outcomes
    warehouse = open_warehouse(warehouse_url)
    for partition in PARTITIONS:
        assert_settled(warehouse, partition, rows[partition])
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == 2 * VALID

    # The storm happened: the sandbox's own count of its 429s, by endpoint, matches what the tap saw.
    stats = admin(sandbox.base_url, "GET", "/_sandbox/stats").json()["requests_429"]
    assert stats["by_reason"] == {"endpoint_rate_limit": stats["total"]}
    for endpoint in limits:
        assert stats["by_endpoint"][endpoint]["endpoint_rate_limit"] == tap.answered(429, endpoint) >= 1
    # Each 429 was retried, by the same request, no sooner than its Retry-After said.
    waits = tap.waits_after(429)
    assert len(waits) == stats["total"]
    assert all(retry_after >= 1 and waited >= retry_after - 0.05 for retry_after, waited in waits), waits
    assert len(tap.to(POST_BATCH)) == 2 * 3 + tap.answered(429, POST_BATCH)  # nothing POSTed twice
    record("HTTP 429 with Retry-After (rate limiter, batch POSTs and GETs)", stats["total"])


# -- 2. bursts of 500 and 503 ------------------------------------------------------------------------------


def test_500_and_503_bursts_heal_through_client_and_step_retries(
    fork_server: ForkServer, journal: BillingJournal, sandbox: SandboxServer, warehouse_url: str, tap: Wiretap
) -> None:
    """Blocking mode, 3 attempts per request, 3 step retries. Bursts on each batch endpoint:

    * POST: 503, 503 (retried by the client: nothing was processed), then a 500 on the third chunk's POST
      (never retried by the client: it may have created a batch) -> step retry, which finds no orphan
      and sends that chunk;
    * status GET: 500, 500, 503: the client's attempts run out -> step retry;
    * the second download: 503, 500, 503 after the first batch was stored -> step retry, which stores
      every batch (the first again, in place).
    """
    tap.arm(POST_BATCH, 1, bursts(503, 503))
    tap.arm(POST_BATCH, 5, bursts(500))
    tap.arm(GET_BATCH, 1, bursts(500, 500, 503))
    tap.arm(RESULTS, 2, bursts(503, 500, 503))
    rows = rows_for("burst", VALID, invalid=1)
    spec = _spec(
        "blocking",
        sandbox,
        warehouse_url,
        rows,
        max_attempts=3,
        step_max_retries=3,
        step_retry_delay_seconds=0.1,
    )
    [outcome] = fork_server.run(spec)
    assert outcome.succeeded, outcome
    assert tap.unfired == []
    assert tap.statuses(POST_BATCH) == [503, 503, 200, 200, 500, 200]
    assert tap.statuses(LIST_BATCHES) == [200]  # the step retry looked for the 500's orphan once
    assert tap.statuses(GET_BATCH) == [500, 500, 503, 200, 200, 200]
    assert tap.statuses(RESULTS) == [200, 503, 500, 503, 200, 200, 200]
    # The last attempt of the step sent nothing: it re-attached to the three batches.
    assert outcome.metadata["ntropy/transactions_submitted"] == 0
    assert outcome.metadata["ntropy/batches_reattached"] == 3
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
    record("HTTP 500 from the batch endpoints", tap.answered(500))
    record("HTTP 503 from the batch endpoints", tap.answered(503))


# -- 3. responses slower than the client's timeout -------------------------------------------------------

TIMEOUT = 0.5
SLOW_MS = 1500
#: How long the API stays slow after the second chunk's POST arrived.
SLOW_FOR = 2.0


def _slow_spec(server: SandboxServer, warehouse_url: str, rows: Rows) -> Spec:
    """Blocking mode, a 0.5 s client timeout, 3 attempts per request, 4 quick step retries."""
    return _spec(
        "blocking",
        server,
        warehouse_url,
        rows,
        timeout=TIMEOUT,
        max_attempts=3,
        step_max_retries=4,
        step_retry_delay_seconds=0.2,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    [
        # Handled at once, answered 1.5 s later: the batch exists, the client never heard of it.
        pytest.param("response_delay_ms", id="answered-late"),
        # Held 1.5 s before it is handled: the client has left by then, and the sandbox drops a request
        # whose client left before its body was read (uvicorn answers its read with a disconnect).
        pytest.param("latency_ms", id="held-then-dropped"),
    ],
)
def test_responses_slower_than_the_timeout_for_a_while_heal_without_a_second_batch(
    fault: str,
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    warehouse_url: str,
    tap: Wiretap,
) -> None:
    """From the second chunk's POST on, every ``/v3`` request takes 1.5 s, for 2 s; then the API is fast
    again. The POST times out on the client (not retried: it may have created a batch), the step fails;
    its retries (their own requests timing out while the API is slow) adopt the batch the POST created,
    or send the chunk again when the sandbox never created it."""
    tap.arm(POST_BATCH, 2, set_faults(**{fault: SLOW_MS}))
    rows = rows_for(f"slow-{fault[:3]}", VALID, invalid=1)
    fork_server.start(_slow_spec(sandbox, warehouse_url, rows))
    deadline = time.monotonic() + 30
    while len(tap.to(POST_BATCH)) < 2:
        assert time.monotonic() < deadline, "the second chunk's POST never reached the sandbox"
        time.sleep(0.02)
    time.sleep(SLOW_FOR)
    admin(sandbox.base_url, "PUT", "/_sandbox/faults", json={fault: 0})
    [outcome] = fork_server.wait()
    assert outcome.succeeded, outcome

    # Requests that arrived while the API was slow were answered (if at all) past the client's timeout,
    # the second POST first.
    timed_out = [e for e in tap.exchanges if e.answered is None or e.answered - e.started >= TIMEOUT]
    slow_post = tap.to(POST_BATCH)[1]
    assert timed_out[0] is slow_post and len(timed_out) >= 2
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    bill = assert_billed_once(journal, sandbox.base_url)
    assert (bill["batches"], bill["credits"]) == (3, VALID)
    chunk_batches = list(journal.batches)
    if fault == "response_delay_ms":
        # Its batch was created: adopted by a step retry, the chunk never sent again.
        assert slow_post.status == 200 and len(tap.to(POST_BATCH)) == 3
        assert chunk_batches[1] in outcome.metadata["ntropy/batch_ids"]
        assert tap.statuses(LIST_BATCHES)[-1] == 200  # the adoption search
    else:
        # Dropped unhandled (ClientDisconnect, a 500 nobody reads): the retry finds no orphan, sends it.
        # A retry sends the partition's next chunk before it resumes this one, so that chunk's first
        # POST may meet the slow API too and be dropped: only three POSTs ever created a batch.
        posts = [e.status for e in tap.to(POST_BATCH)]
        assert slow_post.status == 500 and len(posts) >= 4 and posts.count(200) == 3, posts
    record("API answer slower than the client's timeout (request timed out)", len(timed_out))


#: Long enough for the step retry to search before the held POST is handled, on a slow machine too.
HELD_FOR = 5.0


@pytest.mark.slow
def test_a_post_handled_after_the_step_retry_searched_for_it_is_not_billed_twice(
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    warehouse_url: str,
    tap: Wiretap,
) -> None:
    """The second chunk's POST is held 5 s in front of the sandbox (body received; handled after the
    client's 0.5 s timeout): the step fails on the timeout, its retry searches for an orphan batch at
    once and finds none yet. Within ``resend_after_seconds`` of the intent the chunk is not sent again
    (the API may still be handling its POST): the retry keeps searching, finds the batch the held POST
    created, and adopts it."""
    tap.hold(POST_BATCH, 2, HELD_FOR)
    rows = rows_for("held", VALID, invalid=1)
    spec = replace(_slow_spec(sandbox, warehouse_url, rows), resend_after_seconds=6 * HELD_FOR)
    [outcome] = fork_server.run(spec)
    assert outcome.succeeded, outcome
    held = tap.to(POST_BATCH)[1]
    assert held.status == 200 and held.answered is not None and held.answered - held.started >= HELD_FOR
    searches = tap.to(LIST_BATCHES)
    assert searches[0].answered is not None and searches[0].answered < held.started + HELD_FOR
    assert len(searches) >= 2  # it searched again until the batch appeared
    assert len(tap.to(POST_BATCH)) == 3  # the chunk was never sent again
    assert list(journal.batches)[1] in outcome.metadata["ntropy/batch_ids"]  # the held POST's batch, adopted
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
    record("batch POST handled after the client gave up (adopted, not sent again)")


# -- 4. a batch forced into error, its resubmission's POST failing -----------------------------------------

RESUME_AFTER = 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step_retries", "heals_by"),
    [
        # The failed resubmission run leaves the chunk ``submitting``: the sensor's resume request sends it.
        pytest.param(0, "resume-interrupted-submission", id="resumed-by-the-sensor"),
        # Dagster's step retry of the resubmission run finds no orphan and sends it.
        pytest.param(1, None, id="step-retry"),
    ],
)
def test_an_errored_batch_whose_resubmission_meets_a_500_settles_by_ticks_and_runs_alone(
    step_retries: int,
    heals_by: str | None,
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    warehouse_url: str,
    tap: Wiretap,
    instance: dg.DagsterInstance,
) -> None:
    """Sensor mode: the second of three batches is forced into ``error``; the sensor requests its
    resubmission, whose POST is answered 500; from there, only ticks and the runs they launch (no
    person) until the partition is settled. The errored batch is billed, and its chunk once more."""
    rows = rows_for(f"err{step_retries}", VALID, invalid=1)

    def spec(mode: str) -> Spec:
        return _spec(
            mode,
            sandbox,
            warehouse_url,
            rows,
            resume_after_seconds=RESUME_AFTER,
            step_max_retries=step_retries,
            step_retry_delay_seconds=0.1,
        )

    [submitted] = fork_server.run(spec("submit"))
    assert submitted.succeeded, submitted
    errored = list(journal.batches)[1]
    admin(sandbox.base_url, "POST", f"/_sandbox/batches/{errored}/fail")

    daemon = SensorDaemon(spec("submit"), instance)
    tap.arm(POST_BATCH, 4, bursts(500))  # the resubmission's POST
    launched: list[tuple[str, str]] = []
    ledger = SubmissionLedger(open_warehouse(warehouse_url))
    deadline = time.monotonic() + 30
    while ledger.pending(PARTITION) or not launched or launched[-1][0] != "enrich":
        assert time.monotonic() < deadline, f"not settled by the sensor: launched {launched}"
        launches = daemon.tick()
        reasons = [run.tags.get("ntropy/reason", "enrich") for run in daemon.running]
        outcomes = [fork_server.run(spec(mode))[0] for mode, _partition in launches]
        daemon.finish(succeeded=all(o.succeeded for o in outcomes))
        launched += [(r, "ok" if o.succeeded else "failed") for r, o in zip(reasons, outcomes, strict=True)]
        time.sleep(0.2)

    assert tap.unfired == [] and tap.statuses(POST_BATCH) == [200, 200, 200, 500, 200]
    expected = [("resubmit-error-batch", "failed" if heals_by else "ok")]
    expected += [(heals_by, "ok")] if heals_by else []
    assert launched == [*expected, ("enrich", "ok")]
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    bill = assert_billed_once(journal, sandbox.base_url)  # an errored batch's chunk may be sent again
    assert bill == {"batches": 4, "errored": 1, "credits": VALID + CHUNK}
    resubmitted = list(journal.batches)[3]
    assert journal.batches[resubmitted] == journal.batches[errored]  # exactly the errored chunk, once
    record("batch forced into error by the API (resubmitted by the sensor)", bill["errored"])
    record("HTTP 500 from the batch endpoints", tap.answered(500))
