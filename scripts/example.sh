#!/usr/bin/env bash
# Run the example pipeline end to end, offline, against the bundled Ntropy sandbox.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/bootstrap.sh"
cd "$root"
exec python -m example_project.run "$@"
