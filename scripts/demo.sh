#!/usr/bin/env bash
# `make demo`: the engine on SQLite with demo content (simulated hosts, networks, a template and VMs).
# With root and Open vSwitch, `LOGNET_DEMO_LAB=1 make demo` also builds a namespace lab with real agents.
set -euo pipefail
cd "$(dirname "$0")/.."
export LOGNET_STATE_DIR="${LOGNET_STATE_DIR:-var/demo}"
export LOGNET_ADMIN_PASSWORD="${LOGNET_ADMIN_PASSWORD:-lognet-demo}"
port="${PORT:-8080}"
mkdir -p "$LOGNET_STATE_DIR"
echo "lognet demo: database $LOGNET_STATE_DIR/lognet.db; log in as admin with password $LOGNET_ADMIN_PASSWORD"
exec .venv/bin/lognet serve --demo --host 127.0.0.1 --port "$port"
