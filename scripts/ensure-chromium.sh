#!/usr/bin/env bash
# Kept for old instructions: Chromium is one of the tools scripts/ensure-tools.sh installs.
exec "$(dirname "$0")/ensure-tools.sh" /usr/bin/chromium=chromium
