#!/usr/bin/env bash
# Makes sure the Debian programs the tests drive are installed: ensure-tools.sh [binary=package ...]
# (default: every line of scripts/test-tools.txt). Idempotent and quiet when all are there; otherwise
# installs the missing packages with apt-get (as root, or through password-less sudo) and says what it
# did on stderr. Exits non-zero, naming the command to run by hand, when it cannot install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  while IFS= read -r line; do
    line=${line%%#*}; line=$(echo "$line" | xargs)
    [ -n "$line" ] && pairs+=("$line")
  done <"$here/test-tools.txt"
fi

missing=()
for pair in "${pairs[@]}"; do
  bin=${pair%%=*}; pkg=${pair#*=}
  if [ "${bin:0:1}" = / ]; then [ -x "$bin" ] || missing+=("$pkg"); else command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
# one package may provide several of the binaries
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

fail() {
  echo "ensure-tools: $*" >&2
  echo "ensure-tools: install them by hand with: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
}
command -v apt-get >/dev/null 2>&1 || fail "missing Debian packages (${missing[*]}) and apt-get is not available on this machine"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    fail "missing Debian packages (${missing[*]}) and installing them needs root (no password-less sudo)"
  fi
fi

start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
echo "ensure-tools: installing ${missing[*]} from Debian (once per machine)..." >&2
# apt-get update only when the package lists do not know a package yet (fresh machines)
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; fail "apt-get update failed"; }
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "apt-get install failed"
fi
echo "ensure-tools: installed ${missing[*]} in $(( $(date +%s) - start )) s" >&2
