#!/usr/bin/env bash
# Runs the whole suite. Database-backed tests run on SQLite and, when reachable, on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export LOGNET_TEST_PG_URL="${LOGNET_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
exec .venv/bin/pytest "$@"
