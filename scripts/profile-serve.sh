#!/usr/bin/env bash
# CPU profile of the real `switchboard serve` binary (SQLite, workers on,
# one rule on push that matches nothing) under wrk load, taken from outside
# the process with perf (the binary exposes no pprof), as
# scripts/bench-intake.sh drives it. Prints the hottest functions (self
# time) and the share of time under the functions the request-to-action
# path is made of (children time).
#
# Usage: scripts/profile-serve.sh [DURATION] [CONNECTIONS]   (default 15s, 32)
# Env:   OUT (perf.data path; default: in the work directory, deleted),
#        BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
dur="${1:-15s}"
conns="${2:-32}"
secs="${dur%s}"
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
dir="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
out="${OUT:-$dir/perf.data}"

go build -o "$dir/switchboard" ./cmd/switchboard
go build -o "$dir/switchboard-load" ./cmd/switchboard-load
secret="bench-$(random_token)"
export SWITCHBOARD_LOAD_SECRET="$secret" GITHUB_WEBHOOK_SECRET="$secret"
intake_config "$dir/switchboard.yml" 127.0.0.1:3331 "$dir/switchboard.db"
"$dir/switchboard" serve -c "$dir/switchboard.yml" --log-level warn 2>"$dir/serve.log" &
pid=$!
wait_ready http://127.0.0.1:3331/readyz "$dir/serve.log"

"$dir/switchboard-load" -wrk http://127.0.0.1:3331/webhook -name switchboard -wrk-pid "$pid" \
  -wrk-count-db "$dir/switchboard.db" -c "$conns" -d "$dur" &
load=$!
sleep 1
perf record -F 997 -g -o "$out" -p "$pid" -- sleep $((secs - 2)) 2>/dev/null
wait "$load"

echo "== self time, top 40"
perf report -i "$out" --no-children --sort symbol --stdio 2>/dev/null >"$dir/self.txt" || true
grep -E '^ +[0-9]' "$dir/self.txt" | sed -E 's/ +- +- *$//' | head -40 || true
echo "== share of samples by stage of the path (scripts/perf-buckets.py)"
perf script -i "$out" -F comm,tid,ip,sym 2>/dev/null >"$dir/perf.txt"
python3 scripts/perf-buckets.py "$dir/perf.txt"
