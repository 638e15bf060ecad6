"""Direct HTTP tests of bank statements: processing delay, parse errors, forced errors, verify, delete."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sandbox_testkit import KEY

from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from ntropy_dagster.sandbox.statements import make_png_bytes, make_statement_pdf


@pytest.fixture(scope="module")
def pdf() -> bytes:
    """One small generated statement."""
    return make_statement_pdf(seed=7, n_transactions=12)


def _upload(http: httpx.Client, data: bytes, name: str = "statement.pdf") -> dict[str, object]:
    response = http.post("/v3/bank_statements", files={"file": (name, data, "application/pdf")})
    assert response.status_code == 200, response.text
    return response.json()


def test_upload_complete_results_verify_and_delete(http: httpx.Client, pdf: bytes) -> None:
    job = _upload(http, pdf)
    assert job["status"] == "processing" and job["name"] == "statement.pdf"
    assert job["file"]["size"] == len(pdf) and job["file"]["no_pages"] >= 1
    assert http.get(f"/v3/bank_statements/{job['id']}").json()["status"] == "completed"
    results = http.get(f"/v3/bank_statements/{job['id']}/results").json()
    assert sum(len(a["transactions"]) for a in results["accounts"]) == 12
    info = http.post(f"/v3/bank_statements/{job['id']}/verify").json()
    assert info["institution"]
    listed = http.get("/v3/bank_statements", params={"status": "completed", "limit": 1000}).json()["data"]
    assert job["id"] in {j["id"] for j in listed}
    assert http.delete(f"/v3/bank_statements/{job['id']}").status_code == 204
    assert http.get(f"/v3/bank_statements/{job['id']}").status_code == 404


def test_non_pdf_upload_ends_in_error_invalid_file_type(http: httpx.Client) -> None:
    job = _upload(http, make_png_bytes(), name="photo.png")
    seen = http.get(f"/v3/bank_statements/{job['id']}").json()
    assert seen["status"] == "error"
    assert seen["error"]["code"] == "invalid_file_type" and seen["error"]["message"]
    results = http.get(f"/v3/bank_statements/{job['id']}/results")
    assert results.status_code == 400 and "invalid_file_type" in results.json()["detail"]


def test_forced_statement_error(http: httpx.Client, pdf: bytes) -> None:
    job = _upload(http, pdf)
    forced = http.post(
        f"/_sandbox/bank_statements/{job['id']}/fail",
        json={"code": "unparseable_statement", "message": "nope"},
    )
    assert forced.status_code == 200
    seen = http.get(f"/v3/bank_statements/{job['id']}").json()
    assert seen["status"] == "error"
    assert seen["error"] == {"code": "unparseable_statement", "message": "nope"}


def test_missing_file_part_is_422(http: httpx.Client) -> None:
    assert http.post("/v3/bank_statements", files={"other": ("x.pdf", b"%PDF")}).status_code == 422


@pytest.fixture(scope="module")
def delayed() -> Iterator[SandboxServer]:
    """Statements take 0.4 s."""
    with run_sandbox(SandboxConfig(api_keys=(KEY,), statement_delay=0.4, dispatch_webhooks=False)) as server:
        yield server


def test_statement_processes_for_the_configured_delay(delayed: SandboxServer, pdf: bytes) -> None:
    with httpx.Client(base_url=delayed.base_url, headers={"X-Api-Key": KEY}) as http:
        job = _upload(http, pdf)
        assert http.get(f"/v3/bank_statements/{job['id']}").json()["status"] == "processing"
        early = http.get(f"/v3/bank_statements/{job['id']}/results")
        assert early.status_code == 409
        time.sleep(0.45)
        assert http.get(f"/v3/bank_statements/{job['id']}").json()["status"] == "completed"
        assert http.get(f"/v3/bank_statements/{job['id']}/results").status_code == 200


def test_admin_completes_a_processing_statement(delayed: SandboxServer, pdf: bytes) -> None:
    with httpx.Client(base_url=delayed.base_url, headers={"X-Api-Key": KEY}) as http:
        job = _upload(http, pdf)
        done = http.post(f"/_sandbox/bank_statements/{job['id']}/complete")
        assert done.status_code == 200 and done.json()["status"] == "completed"
        assert http.get(f"/v3/bank_statements/{job['id']}/results").status_code == 200
        assert http.post("/_sandbox/bank_statements/nope/complete").status_code == 404
        assert http.post("/_sandbox/elsewhere/nope/complete").status_code == 422
