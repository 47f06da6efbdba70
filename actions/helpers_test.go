package actions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/config"
)

// testSet builds a Set from cfg with a logger whose entries the returned
// hook captures.
func testSet(t *testing.T, cfg *config.Config, d Deps) (*Set, *test.Hook) {
	t.Helper()
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	if d.Logger == nil {
		d.Logger = logrus.NewEntry(logger)
	}
	s, err := New(cfg, d)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, hook
}

// run runs job with a deadline, so a hung fake fails the test instead of
// stalling it.
func run(t *testing.T, s *Set, ctx context.Context, job *Job) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return s.Run(ctx, job)
}

// wantOutcome fails unless err classifies as want.
func wantOutcome(t *testing.T, err error, want Outcome) Verdict {
	t.Helper()
	v := Classify(err)
	if v.Outcome != want {
		t.Fatalf("error %v classified %v (%s), want %v", err, v.Outcome, v.Reason, want)
	}
	return v
}

// wantNoSecret fails if any secret shows in s.
func wantNoSecret(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Fatalf("%s contains a secret: %q", what, s)
		}
	}
}
