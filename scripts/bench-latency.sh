#!/usr/bin/env bash
# Delivery -> first action latency: `switchboard serve` on SQLite (workers
# on) takes signed pushes at a low fixed rate, each matching one rule with
# one Jenkins trigger; the load tool serves internal/fakejenkins in its own
# process and reports, per delivery, the time its trigger reached the fake
# Jenkins minus the time the delivery's request started (p50, p90, p99),
# and prints the server's switchboard_delivery_to_action_seconds histogram
# when it exposes one.
#
# Usage: scripts/bench-latency.sh
# Env:   RATE (deliveries/s, 10), DURATION (10s), SIZE (8192),
#        BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
rate="${RATE:-10}"
dur="${DURATION:-10s}"
size="${SIZE:-8192}"
dir="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$dir/switchboard" ./cmd/switchboard
go build -o "$dir/switchboard-load" ./cmd/switchboard-load
secret="bench-$(random_token)"
token="bench-$(random_token)"
export SWITCHBOARD_LOAD_SECRET="$secret" GITHUB_WEBHOOK_SECRET="$secret"
export SWITCHBOARD_LOAD_JENKINS_TOKEN="$token" JENKINS_API_TOKEN="$token"
cat >"$dir/switchboard.yml" <<EOF
server: {addr: "127.0.0.1:3321"}
github: {webhook_secret: "\${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "$dir/switchboard.db"}
jenkins:
  fake: {url: "http://127.0.0.1:3322/", user: bench, token: "\${JENKINS_API_TOKEN}"}
rules:
  - name: build-pushes
    on: [push]
    do:
      - jenkins:
          job: "acme/{{ .Repository.Name }}/main"
          parameters: {DELIVERY: "{{ .Delivery }}", GIT_SHA: "{{ .SHA }}"}
EOF
"$dir/switchboard" serve -c "$dir/switchboard.yml" --log-level warn 2>"$dir/serve.log" &
pid=$!
wait_ready http://127.0.0.1:3321/readyz "$dir/serve.log"

echo "== $rate deliveries/s for $dur, $size-byte pushes, one Jenkins trigger each (fake Jenkins on 127.0.0.1:3322)"
"$dir/switchboard-load" -url http://127.0.0.1:3321/webhook -rate "$rate" -d "$dur" -c 8 -size "$size" \
  -latency-jenkins 127.0.0.1:3322 -stages-db "$dir/switchboard.db" -metric switchboard_delivery_to_action_seconds
