#!/usr/bin/env bash
# Builds the switchboard binary as the release image does (deploy/Dockerfile
# runs this script): static (no cgo: the SQLite driver is pure Go), no local
# paths in it, symbols stripped, the version stamped.
#
#   scripts/build-static.sh [OUTPUT]      (default: ./switchboard)
#   VERSION=v1.2.3 scripts/build-static.sh /usr/local/bin/switchboard
set -euo pipefail

out="${1:-switchboard}"
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac
cd "$(dirname "$0")/.."
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"

CGO_ENABLED=0 go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X main.version=${version}" \
  -o "$out" ./cmd/switchboard
echo "built $out (switchboard $version, static)"
