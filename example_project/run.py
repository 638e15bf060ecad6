"""Run the example pipeline end to end, offline: ``python -m example_project.run``.

Starts the bundled Ntropy sandbox on a free loopback port, then drives the example code location the
way the Dagster daemon would: materialize raw transactions, account holders and batches for every
partition, tick the batch sensor until it has requested every enrichment run, execute those runs,
then refresh the recurring-groups and income marts, and print what landed in the warehouse.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from ntropy_dagster.sandbox import SandboxConfig, run_sandbox

API_KEY = "demo-key"


def main() -> int:
    data_dir = Path(os.environ.get("EXAMPLE_DATA_DIR", Path(__file__).parent / "data"))
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    config = SandboxConfig(api_keys=(API_KEY,), db_path=str(data_dir / "sandbox.db"), rate=50_000)
    with run_sandbox(config) as sandbox:
        os.environ.update(
            NTROPY_API_KEY=API_KEY, NTROPY_BASE_URL=sandbox.base_url, EXAMPLE_DATA_DIR=str(data_dir)
        )
        print(f"Ntropy sandbox listening on {sandbox.base_url}")
        module = importlib.import_module("example_project.definitions")
        home = data_dir / "dagster_home"
        home.mkdir()
        with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
            run_pipeline(module, instance)
        report(module.defs)
    return 0


def run_pipeline(module: object, instance: dg.DagsterInstance) -> None:
    defs: dg.Definitions = module.defs  # type: ignore[attr-defined]
    keys = module.pipeline.keys  # type: ignore[attr-defined]
    job = defs.resolve_implicit_global_asset_job_def()
    partitions = module.partitions.get_partition_keys()  # type: ignore[attr-defined]

    def execute(
        selection: set[dg.AssetKey], partition_key: str | None = None, tags: dict[str, str] | None = None
    ) -> None:
        result = job.get_subset(asset_selection=selection).execute_in_process(
            instance=instance, partition_key=partition_key, tags=tags, raise_on_error=True
        )
        assert result.success

    for partition in partitions:
        execute({keys.raw, keys.account_holders, keys.batches}, partition)
        print(f"[{partition}] raw transactions validated and submitted to Ntropy")

    sensor = defs.resolve_sensor_def("ntropy_batch_sensor")
    enriched: set[str] = set()
    cursor = None
    deadline = time.monotonic() + 300
    while len(enriched) < len(partitions):
        if time.monotonic() > deadline:
            raise SystemExit("the sandbox did not finish the batches within 5 minutes")
        with dg.build_sensor_context(
            instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
        ) as context:
            result = sensor.evaluate_tick(context)
        cursor = result.cursor
        if not result.run_requests:
            print(f"sensor: {result.skip_message or 'nothing to do'}")
            time.sleep(1.0)
            continue
        for request in result.run_requests:
            execute(set(request.asset_selection or []), request.partition_key, dict(request.tags))
            if request.asset_selection == [keys.enriched]:
                enriched.add(request.partition_key)
                print(f"[{request.partition_key}] enriched (run key {request.run_key})")

    execute({keys.recurring_groups, keys.income})
    print("marts refreshed: recurring groups and income sources")


def report(defs: dg.Definitions) -> None:
    warehouse = defs.resources["ntropy_warehouse"].get_warehouse()  # type: ignore[union-attr]
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 12)
    sections = {
        "Top counterparties": """select counterparty_name, category_general, count(*) as n, round(sum(amount), 2) as total
            from {enriched} group by 1, 2 order by n desc limit 10""",
        "Recurring groups (sample)": """select account_holder_id, counterparty_name, periodicity, average_amount,
            next_expected_date, is_active from {groups} order by account_holder_id, counterparty_name limit 12""",
        "Income sources (sample)": """select account_holder_id, source_name, source_type, pay_frequency,
            monthly_income, next_expected_date from {income} order by account_holder_id limit 10""",
    }
    names = {
        "enriched": warehouse.table_name("enriched_transactions"),
        "groups": warehouse.table_name("recurring_groups"),
        "income": warehouse.table_name("income_sources"),
    }
    with warehouse.engine.connect() as conn:
        for title, sql in sections.items():
            print(f"\n== {title}")
            print(pd.read_sql(sa.text(sql.format(**names)), conn).to_string(index=False))
        counts = {
            logical: conn.execute(sa.text(f"select count(*) from {warehouse.table_name(logical)}")).scalar()
            for logical in (
                "enriched_transactions",
                "rejected_transactions",
                "recurring_groups",
                "income_sources",
            )
        }
    print("\n== Row counts", counts)


if __name__ == "__main__":
    sys.exit(main())
