"""End-to-end timing of one maximal batch (24,960 transactions) against the sandbox in instant mode.

POST /v3/batches, poll GET /v3/batches/{id} until completed, GET /v3/batches/{id}/results, parse the body.
Run: ``.venv/bin/python benchmarks/sandbox_batch.py [--items N] [--rate R]``. Target: under 30 s.
"""

from __future__ import annotations

import argparse
import time

import httpx
import orjson

from ntropy_dagster.sandbox import SandboxConfig, run_sandbox

DESCRIPTIONS = (
    "SQ *STARBUCKS 10 Union Sq",
    "NETFLIX.COM 866-579-7172",
    "AMAZON MKTPLACE PMTS AMZN.COM/BILL",
    "UBER *TRIP HELP.UBER.COM",
    "PAYROLL ACME CORP",
    "SHELL OIL 57444",
    "WHOLEFDS MKT 10234",
    "SPOTIFY P1A2B3C4",
    "TRANSFER TO SAVINGS",
    "CHECKCARD 0412 MCDONALD'S F1234",
)


def build_batch(n: int) -> list[dict[str, object]]:
    """``n`` transactions with distinct descriptions (no engine cache hits), a quarter without a holder."""
    return [
        {
            "id": f"bench-{i}",
            "description": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} REF{i:06d}",
            "date": f"2024-{(i % 12) + 1:02d}-{(i % 28) + 1:02d}",
            "amount": round(1 + (i * 7.31) % 500, 2),
            "entry_type": "incoming" if i % 10 == 4 else "outgoing",
            "currency": "USD",
            "account_holder_id": None if i % 4 == 3 else f"holder-{i % 3}",
        }
        for i in range(n)
    ]


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=24_960)
    parser.add_argument("--rate", type=float, default=None, help="tx/s (default: instant)")
    args = parser.parse_args()
    config = SandboxConfig(api_keys=("bench",), rate=args.rate, statement_delay=0.0, dispatch_webhooks=False)
    with (
        run_sandbox(config) as sandbox,
        httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": "bench"}, timeout=600) as http,
    ):
        for i in range(3):
            holder = {"id": f"holder-{i}", "type": ("consumer", "business")[i % 2]}
            http.post("/v3/account_holders", json=holder)
        body = orjson.dumps({"operation": "POST /v3/transactions", "data": build_batch(args.items)})
        start = time.perf_counter()
        created = http.post("/v3/batches", content=body, headers={"Content-Type": "application/json"})
        created.raise_for_status()
        submitted = time.perf_counter()
        batch_id = created.json()["id"]
        polls = 0
        while True:
            polls += 1
            status = http.get(f"/v3/batches/{batch_id}").json()["status"]
            if status != "processing":
                break
            time.sleep(0.05)
        completed = time.perf_counter()
        response = http.get(f"/v3/batches/{batch_id}/results")
        response.raise_for_status()
        results = orjson.loads(response.content)["results"]
        end = time.perf_counter()
    assert status == "completed" and len(results) == args.items, (status, len(results))
    print(f"items:            {args.items}")
    print(f"request body:     {len(body) / 1e6:.1f} MB, results body {len(response.content) / 1e6:.1f} MB")
    print(f"POST /v3/batches: {submitted - start:.2f} s")
    print(f"poll to complete: {completed - submitted:.2f} s ({polls} polls)")
    print(f"GET results:      {end - completed:.2f} s")
    print(f"end to end:       {end - start:.2f} s ({args.items / (end - start):,.0f} tx/s)")


if __name__ == "__main__":
    main()
