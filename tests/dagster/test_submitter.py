"""The submitter: it waits for a free in-flight slot instead of overloading the API, and adopts the batch
of an interrupted submission instead of paying twice."""

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.adoption import find_orphan
from ntropy_dagster.core.delta import members_of
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.options import SubmitOptions
from ntropy_dagster.core.status import CLOCK_SLACK
from ntropy_dagster.core.submission import submit_partition
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from tests.dagster.conftest import API_KEY, history


def test_submitter_waits_for_a_free_slot(tmp_path: Any) -> None:
    config = SandboxConfig(api_keys=(API_KEY,), rate=20.0, db_path=str(tmp_path / "sb.db"))
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    ledger = SubmissionLedger(warehouse)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(0.2)

    options = SubmitOptions(max_in_flight=1, slot_timeout=30)
    with (
        run_sandbox(config) as server,
        NtropyClient(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        first = validate_transactions(history(1, per_day=20, holders=1, prefix="slot-a-"))
        second = validate_transactions(history(1, per_day=20, holders=1, prefix="slot-b-"))
        a = submit_partition(client, ledger, first, partition_key="a", options=options, sleep=sleep)
        assert sleeps == []
        b = submit_partition(client, ledger, second, partition_key="b", options=options, sleep=sleep)
        assert sleeps, "the second submission should have waited for the first batch"
        [first_row] = ledger.pending("a")
        assert first_row.status == "completed"  # the slot freed because batch a finished
        assert first_row.batch_id == a.batch_ids[0] != b.batch_ids[0]
    warehouse.dispose()


def test_an_interrupted_submission_adopts_the_oldest_unknown_batch_of_its_size(tmp_path: Any) -> None:
    """The adoption rule on batches: created since the intent, not in the ledger, same size, oldest."""
    config = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sb.db"))
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    ledger = SubmissionLedger(warehouse)
    options = SubmitOptions()
    known = validate_transactions(history(1, per_day=20, holders=1, prefix="adopt-known-"))
    crashed = validate_transactions(history(1, per_day=20, holders=1, prefix="adopt-crashed-"))
    other = validate_transactions(history(1, per_day=7, holders=1, prefix="adopt-other-"))
    with (
        run_sandbox(config) as server,
        NtropyClient(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        # A run records its intent for partition "b" and dies after its POST; meanwhile another
        # partition's batch of the same size is submitted (and recorded), and a smaller one exists.
        ledger.record_intent(
            partition_key="b",
            content_hash=crashed.content_hash(options.batch_size),
            chunk_index=0,
            chunk_hash="c",
            members=members_of(crashed.payloads),
            attempt=1,
            run_id=None,
        )
        recorded = submit_partition(client, ledger, known, partition_key="a", options=options)
        smaller = client.batches.create(next(iter(other.chunks(options.batch_size))))
        orphan = client.batches.create(next(iter(crashed.chunks(options.batch_size))))
        later = client.batches.create(next(iter(crashed.chunks(options.batch_size))))
        assert len({recorded.batch_ids[0], smaller.id, orphan.id, later.id}) == 4

        result = submit_partition(client, ledger, crashed, partition_key="b", options=options)
        assert result.adopted == [orphan.id] and result.batch_ids == [orphan.id]
        assert result.submitted == [] and result.transactions_submitted == 0
        [row] = ledger.pending("b")
        assert row.batch_id == orphan.id and row.status in ("processing", "completed")
        assert ledger.known_batch_ids() == {recorded.batch_ids[0], orphan.id}
    warehouse.dispose()


@dataclass(frozen=True)
class Remote:
    """A listed batch or job, as adoption sees it."""

    id: str
    created_at: dt.datetime | None
    size: int


def test_the_adoption_rule_lists_since_the_intent_and_takes_the_oldest_unknown_match() -> None:
    intent = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
    at = [intent + dt.timedelta(seconds=s) for s in range(5)]
    listed = [
        Remote("newest", at[4], 3),
        Remote("undated", None, 3),
        Remote("known", at[0], 3),
        Remote("other-size", at[1], 9),
        Remote("oldest-match", at[2], 3),
        Remote("second-match", at[3], 3),
    ]
    asked: list[dt.datetime] = []

    def list_created_after(since: dt.datetime) -> list[Remote]:
        asked.append(since)
        return listed

    found = find_orphan(
        list_created_after, intent_at=intent, known_ids={"known"}, matches=lambda r: r.size == 3
    )
    assert found is not None and found.id == "oldest-match"
    assert asked == [intent - CLOCK_SLACK]  # the API's created_after filter, with the clock margin
    only_undated = find_orphan(
        lambda _: [Remote("undated", None, 3), Remote("x", at[0], 9)],
        intent_at=intent,
        known_ids=set(),
        matches=lambda r: r.size == 3,
    )
    assert only_undated is not None and only_undated.id == "undated"
    assert find_orphan(list_created_after, intent_at=intent, known_ids=set(), matches=lambda r: False) is None
    # No intent time recorded: nothing can be attributed to the interrupted run, and nothing is listed.
    assert find_orphan(list_created_after, intent_at=None, known_ids=set(), matches=lambda r: True) is None
    assert len(asked) == 2
