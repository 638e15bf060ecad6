#!/usr/bin/env bash
# Install (if needed) and start a throwaway PostgreSQL server on 127.0.0.1, create the test database,
# and export NTROPY_DAGSTER_TEST_PG_URL for the test suite. Sourced by .ci/run; needs root (apt-get).
set -euo pipefail
pg_port="${NTROPY_DAGSTER_PG_PORT:-55432}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_data="$(mktemp -d /tmp/ntropy-dagster-pg.XXXXXX)"
chown postgres:postgres "$pg_data"
su postgres -s /bin/bash -c "$pg_bin/initdb -D '$pg_data' -A trust -U postgres >/dev/null"
su postgres -s /bin/bash -c "$pg_bin/pg_ctl -D '$pg_data' -l '$pg_data/server.log' \
  -o \"-h 127.0.0.1 -p $pg_port -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" -w start >/dev/null"
trap 'su postgres -s /bin/bash -c "$pg_bin/pg_ctl -D \"$pg_data\" -m immediate stop" >/dev/null 2>&1 || true' EXIT
psql_cmd=(su postgres -s /bin/bash -c)
"${psql_cmd[@]}" "psql -h 127.0.0.1 -p $pg_port -U postgres -qc \"CREATE USER ntropy WITH PASSWORD 'ntropy' CREATEDB\""
"${psql_cmd[@]}" "psql -h 127.0.0.1 -p $pg_port -U postgres -qc \"CREATE DATABASE ntropy_test OWNER ntropy\""
export NTROPY_DAGSTER_TEST_PG_URL="postgresql+psycopg://ntropy:ntropy@127.0.0.1:$pg_port/ntropy_test"
echo "PostgreSQL ready at 127.0.0.1:$pg_port (data in $pg_data)"
