package server

import (
	"runtime/debug"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
)

// minMemoryLimit is the least soft memory limit set from the config: below
// it the collector would run all the time for the process's own needs
// (about 30 MiB resident at rest).
const minMemoryLimit = 64 << 20

// setMemoryLimit sets the Go runtime's soft memory limit to
// server.max_inflight_body_bytes (at least minMemoryLimit), unless the
// GOMEMLIMIT variable sets one, and returns a function that puts the
// previous limit back.
//
// Why: the budget bounds the bodies held at once, but each large body read
// and dropped leaves garbage, and with the collector's default pacing
// (GOGC=100) the heap grows to twice what is live before it is collected.
// Measured under a flood of 40 bodies of 20 MB (docs/BENCHMARKS.md), the
// peak resident memory was 205 MiB without a limit and 120 MiB with this
// one. The limit is soft: live memory above it is not refused, the
// collector only works harder.
func setMemoryLimit(cfg *config.Config, lookupEnv func(string) (string, bool), log *logrus.Entry) func() {
	if v, ok := lookupEnv("GOMEMLIMIT"); ok && v != "" {
		log.WithField("GOMEMLIMIT", v).Info("memory limit from GOMEMLIMIT")
		return func() {}
	}
	limit := max(cfg.Server.MaxInflightBodyBytes, minMemoryLimit)
	prev := debug.SetMemoryLimit(limit)
	log.WithField("bytes", limit).Info("soft memory limit set from server.max_inflight_body_bytes")
	return func() { debug.SetMemoryLimit(prev) }
}
