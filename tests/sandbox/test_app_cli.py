"""The command line: help text, and a real server process answering its health check."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ntropy_dagster.sandbox.__main__ import build_parser, config_from_args


def test_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ntropy_dagster.sandbox", "--help"], capture_output=True, text=True, check=True
    )
    for option in (
        "--api-key",
        "--db",
        "--rate",
        "--instant",
        "--rate-limit",
        "--error-rate",
        "--latency-ms",
    ):
        assert option in result.stdout


def test_arguments_map_to_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--api-key",
            "a",
            "--api-key",
            "b",
            "--instant",
            "--rate-limit",
            "--error-status",
            "502",
            "--rate-limit-override",
            "GET /v3/batches/{batch_id}=3",
        ]
    )
    config = config_from_args(args)
    assert config.api_keys == ("a", "b") and config.rate is None and config.statement_delay == 0.0
    assert config.faults.rate_limit and config.faults.error_statuses == (502,)
    assert config.faults.rate_limits == {"GET /v3/batches/{batch_id}": 3.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_subprocess_serves_health_and_api(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "cli.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ntropy_dagster.sandbox",
            "--port",
            str(port),
            "--api-key",
            "cli-key",
            "--db",
            str(db),
            "--instant",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/_sandbox/health")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert httpx.get(f"{base}/v3/batches", headers={"X-Api-Key": "cli-key"}).json()["data"] == []
        assert db.exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
