#!/usr/bin/env bash
# Make sure the services the suite needs are here: PostgreSQL (127.0.0.1:5432, trust auth) and, when we are
# root, Open vSwitch for the lab tests and Chromium for the browser tests. Installs from Debian packages only when something is missing.
set -uo pipefail
apt_updated=""
apt_install() {
  [ "$(id -u)" = 0 ] || { echo "not root: cannot install $*" >&2; return 1; }
  [ -n "$apt_updated" ] || { apt-get update -qq >/dev/null 2>&1; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_ready; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql postgresql-client || true
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
    if [ -n "$ver" ]; then
      hba=/etc/postgresql/$ver/main/pg_hba.conf
      grep -q 'lognet-test' "$hba" 2>/dev/null || \
        sed -i '1i host all all 127.0.0.1/32 trust # lognet-test\nlocal all all trust # lognet-test' "$hba"
      pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || \
        pg_ctlcluster "$ver" main restart >/dev/null 2>&1 || true
    fi
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready && echo "postgresql: ready on 127.0.0.1:5432" || echo "postgresql: not available (PostgreSQL tests will be skipped)"

if [ "$(id -u)" = 0 ]; then
  command -v ovs-vswitchd >/dev/null 2>&1 || apt_install openvswitch-switch || true
  command -v ping >/dev/null 2>&1 || apt_install iputils-ping || true
  command -v ethtool >/dev/null 2>&1 || apt_install ethtool || true
  # the web console's browser tests drive Debian's Chromium through Playwright
  [ -x /usr/bin/chromium ] || apt_install chromium || true
  command -v ovs-vswitchd >/dev/null 2>&1 && echo "openvswitch: $(ovs-vswitchd --version | head -n1)"
fi
exit 0
