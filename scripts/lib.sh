# Shared by the benchmark scripts (source it; it defines functions only).

# random_token: 16 hex digits from /dev/urandom, for a webhook secret or a
# database name the run makes and drops.
random_token() {
  od -An -N8 -tx8 /dev/urandom | tr -d ' '
}

# wait_http URL: until something answers HTTP there (any status); fails
# after 30 s.
wait_http() {
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

# wait_ready URL [LOG...]: until URL answers 2xx (a serve's /readyz: its
# store open and started); after 30 s prints the LOG files and fails.
wait_ready() {
  local url="$1"
  shift
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "not ready: $url" >&2
  [ $# -gt 0 ] && cat "$@" >&2
  return 1
}

# intake_config FILE ADDR DSN: the configuration intake is measured with:
# SQLite, one rule on push that matches nothing (so the workers are on but
# run no action), the webhook secret from GITHUB_WEBHOOK_SECRET. One
# definition, so that the intake table and the profile measure the same
# server.
intake_config() {
  cat >"$1" <<YAML
server: {addr: "$2"}
github: {webhook_secret: "\${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "$3"}
rules:
  - name: matches-nothing
    on: [push]
    if: {repository: "nobody/nothing"}
    do:
      - log: {message: "never {{ .ShortSHA }}"}
YAML
}
