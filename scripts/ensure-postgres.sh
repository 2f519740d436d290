#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL answers on 127.0.0.1:5432 (the scale-out tests use it, database
# `test`, trust auth): starts the Debian cluster when it is down. Quiet when it is up.
set -u
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
command -v pg_isready >/dev/null 2>&1 && ready && exit 0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-postgres: PostgreSQL is not installed here; the PostgreSQL tests need a server on 127.0.0.1:5432 (trust auth, database test): apt-get install -y postgresql" >&2
  exit 1
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
[ -n "$version" ] || { echo "ensure-postgres: no cluster under /etc/postgresql" >&2; exit 1; }
echo "ensure-postgres: starting PostgreSQL $version (main)..." >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
for _ in $(seq 1 50); do ready && exit 0; sleep 0.2; done
echo "ensure-postgres: PostgreSQL $version did not come up on 127.0.0.1:5432" >&2
exit 1
