package commands

import (
	"context"
	"testing"

	"github.com/switchboard-dev/switchboard/rules"
)

// TestInvolves: the events a conversation answers, and only those, are
// left to the worker by intake; for any other, Jobs has nothing to do.
func TestInvolves(t *testing.T) {
	h := New(nil, nil, nil, nil)
	for name, tc := range map[string]struct {
		event, action string
		want          bool
	}{
		"a comment":                {"issue_comment", "created", true},
		"an edited comment":        {"issue_comment", "edited", true},
		"a check run re-requested": {"check_run", "rerequested", true},
		"a suite re-requested":     {"check_suite", "rerequested", true},
		"a check run completed":    {"check_run", "completed", false},
		"a suite completed":        {"check_suite", "completed", false},
		"a push":                   {"push", "", false},
		"a pull request":           {"pull_request", "opened", false},
		"an issue that was opened": {"issues", "opened", false},
	} {
		t.Run(name, func(t *testing.T) {
			ev := &rules.Event{Event: tc.event, Action: tc.action}
			if got := h.Involves(ev); got != tc.want {
				t.Errorf("Involves = %v, want %v", got, tc.want)
			}
			if !tc.want {
				if jobs, err := h.Jobs(context.Background(), nil, ev); jobs != nil || err != nil {
					t.Errorf("Jobs of an event Involves refuses = %v, %v; want nothing", jobs, err)
				}
			}
		})
	}
}
