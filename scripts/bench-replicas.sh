#!/usr/bin/env bash
# Measures intake throughput of two `switchboard serve` replicas on one
# Postgres database, driven in turn (as a round-robin load balancer would) by
# the load tool, beside the HMAC-only floor in the same run.
#
# Usage: scripts/bench-replicas.sh [DURATION] [SENDERS]   (default 10s, 32)
# REPLICAS sets how many replicas run (default 2), on ports 3101 and up.
# Needs: a Postgres server; SWITCHBOARD_TEST_POSTGRES names it (default
# postgres://postgres@127.0.0.1:5432/test?sslmode=disable). A database
# switchboard_bench_<random> is created on it and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
dur="${1:-10s}"
senders="${2:-32}"
replicas="${REPLICAS:-2}"
ports=$(seq 3101 $((3100 + replicas)))
base="${SWITCHBOARD_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
db="switchboard_bench_$(random_token)"
dir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

go build -o "$dir/switchboard" ./cmd/switchboard
go build -o "$dir/switchboard-load" ./cmd/switchboard-load
psql "$base" -qc "CREATE DATABASE $db" >/dev/null
dsn="$(printf '%s' "$base" | sed -E "s#^(postgres(ql)?://[^/]+)/[^?]*#\1/$db#")"

cat >"$dir/switchboard.yml" <<'EOF'
server: {addr: "${ADDR}"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: postgres, dsn: "${DSN}"}
rules:
  - name: log-pushes
    on: [push]
    do:
      - log: {message: "push {{ .ShortSHA }}"}
EOF
secret="bench-$(random_token)"
urls=()
for port in $ports; do
  ADDR="127.0.0.1:$port" DSN="$dsn" GITHUB_WEBHOOK_SECRET="$secret" \
    "$dir/switchboard" serve -c "$dir/switchboard.yml" --log-level warn 2>"$dir/replica-$port.log" &
  pids+=("$!")
  urls+=("http://127.0.0.1:$port/webhook")
done
for port in $ports; do
  wait_ready "http://127.0.0.1:$port/readyz" "$dir/replica-$port.log"
done

echo "== $replicas replica(s) on Postgres ($db), $senders senders, $dur, 8 KiB pushes"
SWITCHBOARD_LOAD_SECRET="$secret" "$dir/switchboard-load" -floor \
  -url "$(IFS=,; echo "${urls[*]}")" -c "$senders" -d "$dur" -size 8192
echo "== queue after the run"
psql "${dsn}" -Atc "SELECT state, count(*) FROM river_job GROUP BY state ORDER BY state"
