#!/usr/bin/env bash
# Sustained processing: `switchboard serve` (its workers on) takes signed
# 8 KiB pushes at a fixed rate, each matching one rule with one `log`
# action, while the load tool samples River's jobs in the store (queued +
# running = the backlog, and the jobs done, by kind) during the run and
# after it, until the backlog is empty or BACKLOG_AFTER has passed.
#
# Usage: scripts/bench-sustained.sh
# Env:   RATE (deliveries/s, 2000), DURATION (10s; the issue's target is 60s),
#        SENDERS (128), SIZE (8192), BACKLOG_EVERY (1s), BACKLOG_AFTER (10s),
#        STORE (sqlite, or postgres: SWITCHBOARD_TEST_POSTGRES names the
#        server, default postgres://postgres@127.0.0.1:5432/test?sslmode=disable;
#        a database switchboard_bench_<random> is made and dropped),
#        REPLICAS (postgres only, 2; the load goes to them in turn),
#        WORKERS (store.workers: jobs run at once, River's and the inline
#        first attempts' each; default the config's, 20),
#        BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
rate="${RATE:-2000}"
dur="${DURATION:-10s}"
senders="${SENDERS:-128}"
size="${SIZE:-8192}"
store="${STORE:-sqlite}"
replicas=1
[ "$store" = postgres ] && replicas="${REPLICAS:-2}"
dir="$(mktemp -d)"
pids=()
db=""
base="${SWITCHBOARD_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$db" ] && psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$dir/switchboard" ./cmd/switchboard
go build -o "$dir/switchboard-load" ./cmd/switchboard-load
secret="bench-$(random_token)"
export SWITCHBOARD_LOAD_SECRET="$secret" GITHUB_WEBHOOK_SECRET="$secret"

if [ "$store" = postgres ]; then
  db="switchboard_bench_$(random_token)"
  psql "$base" -qc "CREATE DATABASE $db" >/dev/null
  dsn="$(printf '%s' "$base" | sed -E "s#^(postgres(ql)?://[^/]+)/[^?]*#\1/$db#")"
else
  dsn="$dir/switchboard.db"
fi
export DSN="$dsn" STORE_DRIVER="$store"
workers_key=""
[ -n "${WORKERS:-}" ] && workers_key=", workers: ${WORKERS}"
cat >"$dir/switchboard.yml" <<EOF
server: {addr: "\${ADDR}"}
github: {webhook_secret: "\${GITHUB_WEBHOOK_SECRET}"}
store: {driver: "\${STORE_DRIVER}", dsn: "\${DSN}"${workers_key}}
rules:
  - name: log-pushes
    on: [push]
    do:
      - log: {message: "push {{ .ShortSHA }}"}
EOF
urls=()
for i in $(seq 1 "$replicas"); do
  port=$((3310 + i))
  ADDR="127.0.0.1:$port" "$dir/switchboard" serve -c "$dir/switchboard.yml" --log-level warn 2>"$dir/serve-$port.log" &
  pids+=("$!")
  urls+=("http://127.0.0.1:$port/webhook")
done
for u in "${urls[@]}"; do
  wait_ready "${u%/webhook}/readyz" "$dir"/serve-*.log
done

echo "== $store, $replicas serve process(es), store.workers ${WORKERS:-default}, $rate deliveries/s for $dur, $senders senders, $size-byte pushes, one log action each"
watch=()
[ "$replicas" = 1 ] && watch=(-watch-pid "${pids[0]}" -watch-every "${BACKLOG_EVERY:-1s}")
"$dir/switchboard-load" -url "$(IFS=,; echo "${urls[*]}")" -rate "$rate" -d "$dur" -c "$senders" -size "$size" \
  -backlog-db "$dsn" -backlog-every "${BACKLOG_EVERY:-1s}" -backlog-after "${BACKLOG_AFTER:-10s}" "${watch[@]}"
