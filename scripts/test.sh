#!/usr/bin/env bash
# Run the lint, the type checker and the default test suite (everything but the slow end-to-end scenarios).
# PostgreSQL tests run when NTROPY_DAGSTER_TEST_PG_URL points at a server (.ci/run starts one).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m slow` for the slow suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/bootstrap.sh"
cd "$root"
ruff check .
ruff format --check .
mypy  # what and how strictly: [tool.mypy] in pyproject.toml
if [ "$#" -eq 0 ]; then
  set -- -m "not slow"
fi
exec python -m pytest "$@"
