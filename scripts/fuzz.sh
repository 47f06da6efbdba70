#!/usr/bin/env bash
# Runs every Fuzz* target in the module for the given time each (default 10s).
# Usage: scripts/fuzz.sh [DURATION]   e.g. scripts/fuzz.sh 10m
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-10s}"
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== fuzz $pkg $target for $dur"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" "$pkg"
  done
done
