#!/usr/bin/env bash
# Runs every Fuzz* target in the module for the given time each (default 10s).
# Usage: scripts/fuzz.sh [DURATION] [--keep]   e.g. scripts/fuzz.sh 10m --keep
#
# --keep copies the inputs the fuzzer found interesting (its cache corpus)
# into each package's testdata/fuzz/<Target>/, where `go test` runs them as
# seeds from then on. FUZZ_PARALLEL sets go test's -parallel (default: one
# worker per core); FUZZ_MATCH, an extended regexp, picks the "package
# target" pairs to run (default: all); FUZZ_MINIMIZE bounds the time spent
# minimising each new interesting input (default 5s: go's own 60s spends
# most of a run on large payloads).
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-10s}"
keep="${2:-}"
parallel=()
if [ -n "${FUZZ_PARALLEL:-}" ]; then parallel=(-parallel "$FUZZ_PARALLEL"); fi
cache="$(go env GOCACHE)/fuzz"
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    if [ -n "${FUZZ_MATCH:-}" ] && ! echo "$pkg $target" | grep -Eq "$FUZZ_MATCH"; then continue; fi
    echo "== fuzz $pkg $target for $dur ($(date -u +%FT%TZ))"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" -fuzzminimizetime "${FUZZ_MINIMIZE:-5s}" "${parallel[@]}" "$pkg"
    if [ "$keep" = "--keep" ] && [ -d "$cache/$pkg/$target" ]; then
      dir="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target"
      mkdir -p "$dir"
      cp -n "$cache/$pkg/$target"/* "$dir"/ 2>/dev/null || true
      echo "   kept $(ls "$dir" | wc -l) inputs in ${dir#"$PWD"/}"
    fi
  done
done
echo "== fuzz done ($(date -u +%FT%TZ))"
