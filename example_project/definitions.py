"""The example code location: synthetic raw transactions enriched through Ntropy.

Load it with ``dagster dev -m example_project.definitions`` after starting a sandbox::

    python -m ntropy_dagster.sandbox --port 8765 --api-key demo-key &
    NTROPY_API_KEY=demo-key NTROPY_BASE_URL=http://127.0.0.1:8765 dagster dev -m example_project.definitions

or run everything end to end, offline, with ``bash scripts/example.sh``.
"""

import os
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from ntropy_dagster import NtropyResource, NtropyWarehouseResource, build_ntropy_assets
from ntropy_dagster.sandbox.synthetic import synthetic_transactions

DATA_DIR = Path(os.environ.get("EXAMPLE_DATA_DIR", Path(__file__).parent / "data"))
ACCOUNT_HOLDERS = 25
TRANSACTIONS_PER_DAY = 40

# Monthly partitions keep the demo quick (4 runs for 4 months); the library's default is daily.
partitions = dg.MonthlyPartitionsDefinition(start_date="2025-01-01", end_date="2025-05-01")


@dg.asset(
    partitions_def=partitions,
    kinds={"pandas"},
    group_name="raw",
    description="Raw bank transactions as they land from the core banking system (synthetic here).",
)
def raw_transactions(context: dg.AssetExecutionContext) -> pd.DataFrame:
    window = context.partition_time_window
    days = pd.date_range(window.start.date(), window.end.date(), inclusive="left")
    frame = pd.concat(
        [
            synthetic_transactions(day.date(), n=TRANSACTIONS_PER_DAY, account_holders=ACCOUNT_HOLDERS)
            for day in days
        ],
        ignore_index=True,
    )
    context.add_output_metadata({"dagster/row_count": len(frame)})
    return frame


WAREHOUSE_URL = os.environ.get("NTROPY_WAREHOUSE_URL", f"sqlite:///{DATA_DIR / 'warehouse.db'}")

# The dialect is shown as a kind of the table assets (build_ntropy_definitions derives it by itself).
pipeline = build_ntropy_assets(
    raw_transactions, owners=["team:data-platform"], dialect=sa.make_url(WAREHOUSE_URL).get_backend_name()
)

defs = dg.Definitions(
    assets=[raw_transactions, *pipeline.assets],
    asset_checks=pipeline.asset_checks,
    sensors=pipeline.sensors,
    resources={
        "ntropy": NtropyResource(
            api_key=dg.EnvVar("NTROPY_API_KEY"),
            base_url=os.environ.get("NTROPY_BASE_URL", "http://127.0.0.1:8765"),
        ),
        "ntropy_warehouse": NtropyWarehouseResource(url=WAREHOUSE_URL),
    },
)
