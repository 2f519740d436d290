#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed at /usr/bin/chromium (the client SDK's browser test
# drives it through playwright-core; Playwright never downloads a browser of its own here).
# Idempotent and quiet: does nothing when Chromium is already there. Needs root (or sudo) and apt.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

fail() {
  echo "ensure-chromium: $*" >&2
  echo "ensure-chromium: install it by hand with: apt-get update && apt-get install -y chromium" >&2
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  fail "$CHROMIUM is missing and apt-get is not available on this machine"
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    fail "$CHROMIUM is missing and installing it needs root (no password-less sudo)"
  fi
fi

start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >"$log" 2>&1; then
  cat "$log" >&2
  fail "apt-get update failed"
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "apt-get install chromium failed"
fi
if [ ! -x "$CHROMIUM" ]; then
  fail "the chromium package installed, but $CHROMIUM is still missing"
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium) in $(( $(date +%s) - start )) s"
