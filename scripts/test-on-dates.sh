#!/usr/bin/env bash
# Runs the whole suite with the machine's clock set to other dates (Debian's faketime), to prove no
# test reads the wall clock for a calendar fact. Dates may be given as arguments (faketime's
# "@YYYY-MM-DD hh:mm:ss" or "+400d"); by default a year-end, a leap day and the ends of 2029/2030.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { echo "faketime is needed: apt-get install -y faketime" >&2; exit 2; }
dates=("$@")
[ ${#dates[@]} -gt 0 ] || dates=('+400d' '@2026-12-31 23:55:00' '@2028-02-29 12:00:00' '@2029-12-31 23:58:00' '@2030-06-30 08:00:00')
for when in "${dates[@]}"; do
  echo "== the machine's clock at: $when ($(faketime -f "$when" date -u))"
  CI=true faketime -f "$when" npx vitest run
done
