#!/usr/bin/env bash
# Durable intake as a user meets it: each subject runs as its own process,
# one after another in the same run, and wrk drives it from another process
# with 8 KiB signed pushes (one fixed body with its precomputed
# X-Hub-Signature-256, a unique X-GitHub-Delivery per request):
#
#   floor        HMAC only, Go net/http (switchboard-bench-subject -subject floor)
#   sqlite-probe HMAC + raw body in SQLite, one writer, 1 ms group commit,
#                synchronous FULL (switchboard-bench-subject -subject sqlite-probe)
#   switchboard  the real `switchboard serve` on SQLite, workers on, one rule
#                on push that matches nothing
#   probot       Probot 14 (when node and npm are present), a minimal app
#                that handles push; Probot verifies the signature
#
# and prints one table: deliveries/s (2xx answers/s), p50, p99, peak RSS
# (VmHWM), ratio to the floor, and for the storing subjects the rows stored
# after the run. Any answer outside 2xx, any socket error, or fewer rows
# stored than answered 2xx makes the script fail.
#
# Usage: scripts/bench-intake.sh [DURATION] [CONNECTIONS]   (default 10s, 32)
# Env:   SIZE (payload bytes, 8192), WRK_THREADS (2), SUBJECTS (default
#        "floor sqlite-probe switchboard probot"), PROBOT_VERSION (14),
#        SWITCHBOARD_BIN (a prebuilt switchboard to measure instead of this tree's),
#        PROBOT_DIR (reuse an npm install of probot there; default: a new one
#        in a temporary directory), BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
dur="${1:-10s}"
conns="${2:-32}"
size="${SIZE:-8192}"
threads="${WRK_THREADS:-2}"
subjects="${SUBJECTS:-floor sqlite-probe switchboard probot}"
dir="$(mktemp -d)"
pid=""   # the subject running now, if any
cleanup() {
  [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y wrk >/dev/null
fi

echo "== machine"
echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpus:   $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "$(go version), $(wrk -v 2>&1 | head -1)"

if [ -n "${SWITCHBOARD_BIN:-}" ]; then
  cp "$SWITCHBOARD_BIN" "$dir/switchboard"   # another build, to compare commits
else
  go build -o "$dir/switchboard" ./cmd/switchboard
fi
go build -o "$dir/switchboard-load" ./cmd/switchboard-load
go build -o "$dir/switchboard-bench-subject" ./cmd/switchboard-bench-subject
secret="bench-$(random_token)"
export SWITCHBOARD_LOAD_SECRET="$secret" GITHUB_WEBHOOK_SECRET="$secret"
rows="$dir/rows.jsonl"

# stop: interrupt the running subject and wait for it.
stop() {
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}

# drive NAME URL PID [SQLITE_FILE]: one subject's row.
failed=0
drive() {
  local count=()
  [ -n "${4:-}" ] && count=(-wrk-count-db "$4")
  echo "== $1: wrk -t $threads -c $conns -d $dur, $size-byte pushes -> $2"
  "$dir/switchboard-load" -wrk "$2" -name "$1" -wrk-pid "$3" -wrk-out "$rows" \
    -wrk-threads "$threads" -c "$conns" -d "$dur" -size "$size" "${count[@]}" || failed=1
}

for s in $subjects; do
  case "$s" in
  floor)
    "$dir/switchboard-bench-subject" -subject floor -listen 127.0.0.1:3201 &
    pid=$!
    wait_http http://127.0.0.1:3201/webhook
    drive floor http://127.0.0.1:3201/webhook "$pid"
    stop
    ;;
  sqlite-probe)
    "$dir/switchboard-bench-subject" -subject sqlite-probe -listen 127.0.0.1:3202 -db "$dir/probe.db" &
    pid=$!
    wait_http http://127.0.0.1:3202/webhook
    drive sqlite-probe http://127.0.0.1:3202/webhook "$pid" "$dir/probe.db"
    stop
    ;;
  switchboard)
    intake_config "$dir/switchboard.yml" 127.0.0.1:3203 "$dir/switchboard.db"
    "$dir/switchboard" serve -c "$dir/switchboard.yml" --log-level warn 2>"$dir/switchboard.log" &
    pid=$!
    wait_ready http://127.0.0.1:3203/readyz "$dir/switchboard.log"
    drive switchboard http://127.0.0.1:3203/webhook "$pid" "$dir/switchboard.db"
    if command -v sqlite3 >/dev/null; then
      echo "   River jobs right after the run (kind|state|count):"
      sqlite3 "$dir/switchboard.db" "SELECT kind, state, count(*) FROM river_job GROUP BY 1, 2" | sed 's/^/     /'
    fi
    stop
    ;;
  probot)
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
      echo "== probot: skipped (no node/npm)"
      continue
    fi
    pdir="${PROBOT_DIR:-$dir/probot}"
    if [ ! -d "$pdir/node_modules/probot" ]; then
      echo "== installing probot@${PROBOT_VERSION:-14} with npm into $pdir"
      mkdir -p "$pdir"
      (cd "$pdir" && npm init -y >/dev/null && npm install --no-audit --no-fund "probot@${PROBOT_VERSION:-14}" >/dev/null 2>&1)
    fi
    cat >"$pdir/bench-app.mjs" <<'EOF'
// A minimal Probot app for scripts/bench-intake.sh: it handles push and does
// nothing else; Probot verifies X-Hub-Signature-256 before the handler runs.
// Logging at warn, as switchboard runs here: pino-http's line per request
// is at info.
import { generateKeyPairSync } from "node:crypto";
import { pino } from "pino";
import { Probot, Server } from "probot";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const server = new Server({
  host: "127.0.0.1",
  port: Number(process.env.PORT),
  webhookPath: "/webhook",
  log: pino({ name: "probot", level: process.env.LOG_LEVEL || "warn" }),
  Probot: Probot.defaults({ appId: 1, privateKey, secret: process.env.WEBHOOK_SECRET }),
});
let pushes = 0;
await server.load((app) => {
  app.on("push", async () => {
    pushes++;
  });
});
await server.start();
process.on("SIGINT", async () => {
  console.error(`probot: ${pushes} pushes handled`);
  await server.stop();
  process.exit(0);
});
EOF
    echo "   probot $(node -p "require('$pdir/node_modules/probot/package.json').version"), node $(node --version)"
    PORT=3204 WEBHOOK_SECRET="$secret" LOG_LEVEL=warn node "$pdir/bench-app.mjs" &
    pid=$!
    wait_http http://127.0.0.1:3204/ping
    drive probot http://127.0.0.1:3204/webhook "$pid"
    stop
    ;;
  *)
    echo "unknown subject $s" >&2
    exit 2
    ;;
  esac
done

echo
echo "== $conns connections, $size-byte signed pushes, $dur per subject, one after another"
"$dir/switchboard-load" -table "$rows" || failed=1
exit "$failed"
