#!/usr/bin/env bash
# `make demo`: the engine on SQLite with demo content (simulated hosts, networks, a template and VMs).
# `LOGNET_DEMO_LAB=1 make demo` (root with Open vSwitch) also builds a namespace lab: 2 hosts with 3 NICs and real
# agents, added to the demo engine, with two VMs that ping each other. Without root or Open vSwitch it says so
# and runs the plain demo. The lab and its engine database are made anew on each run and go when the demo stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export LOGNET_ADMIN_PASSWORD="${LOGNET_ADMIN_PASSWORD:-lognet-demo}"
port="${PORT:-8080}"

lab=""
if [ "${LOGNET_DEMO_LAB:-0}" = 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v ovs-vswitchd >/dev/null 2>&1 && command -v ovsdb-server >/dev/null 2>&1; then
    lab=1
  else
    echo "lognet demo: LOGNET_DEMO_LAB=1 needs root and Open vSwitch; running the demo with simulated hosts only" >&2
  fi
fi

if [ -z "$lab" ]; then
  export LOGNET_STATE_DIR="${LOGNET_STATE_DIR:-var/demo}"
  mkdir -p "$LOGNET_STATE_DIR"
  echo "lognet demo: database $LOGNET_STATE_DIR/lognet.db; log in as admin with password $LOGNET_ADMIN_PASSWORD"
  exec .venv/bin/lognet serve --demo --host 127.0.0.1 --port "$port"
fi

export LOGNET_STATE_DIR="${LOGNET_STATE_DIR:-var/demo-lab}"
mkdir -p "$LOGNET_STATE_DIR"
rm -f "$LOGNET_STATE_DIR"/lognet.db "$LOGNET_STATE_DIR"/lognet.db-*   # the lab is new: so is its engine's view
url="http://127.0.0.1:$port"
echo "lognet demo with a lab: database $LOGNET_STATE_DIR/lognet.db; log in as admin with password $LOGNET_ADMIN_PASSWORD"
.venv/bin/lognet serve --demo --host 127.0.0.1 --port "$port" &
engine=$!
cleanup() {
  trap - EXIT INT TERM
  .venv/bin/python -m lognet.lab.demo down || true
  kill "$engine" 2>/dev/null || true
  wait "$engine" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
.venv/bin/python -m lognet.lab.demo up --engine-url "$url"
echo "lognet demo: engine at $url with the lab's hosts; Ctrl-C stops the engine and removes the lab"
wait "$engine"
