#!/usr/bin/env bash
# Reproduce docs/images/asset-graph.png and docs/images/enriched-asset.png (not part of CI).
# Runs the showcase with its UI kept up, photographs the UI with headless Chromium, then stops it.
# Needs Debian's chromium: apt-get install -y chromium
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/bootstrap.sh"
cd "$root"
data="$(mktemp -d)"
log="$data/showcase.log"
port="${SCREENSHOTS_PORT:-3210}"
python -m example_project.run --ui --port "$port" --data-dir "$data/data" >"$log" 2>&1 &
showcase=$!
stop() {
  kill -TERM "$showcase" 2>/dev/null || true
  wait "$showcase" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT
echo "showcase running (log: $log); waiting for its UI ..."
until grep -q "The Dagster UI is up" "$log"; do
  if ! kill -0 "$showcase" 2>/dev/null; then
    cat "$log"
    exit 1
  fi
  sleep 5
done
python scripts/screenshots.py --url "http://127.0.0.1:$port" --out "$root/docs/images" "$@"
