package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/store"
)

const gateConfig = `
github: {webhook_secret: s}
rules:
  - name: build
    on: [pull_request]
    do:
      - log: {message: "build {{ .SHA }}"}
  - name: hello
    on: [pull_request.opened]
    trusted_only: false
    do:
      - log: {message: "hello"}
`

// forkOpened is GitHub's pull_request.opened example (testdata/webhooks)
// made a fork pull request by assoc: the head repository is
// first-timer/Hello-World.
func forkOpened(t *testing.T, assoc string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "pull_request.opened.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	pr := p["pull_request"].(map[string]any)
	pr["author_association"] = assoc
	pr["head"].(map[string]any)["repo"].(map[string]any)["full_name"] = "first-timer/Hello-World"
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Without a Gate (no GitHub App credentials, so no approval can be read or
// given) an untrusted fork pull request is still held, from its payload
// alone; a trusted author's is not.
func TestUntrustedForkHeldWithoutGate(t *testing.T) {
	for name, tc := range map[string]struct {
		assoc string
		want  int
	}{
		"FIRST_TIME_CONTRIBUTOR held": {"FIRST_TIME_CONTRIBUTOR", 1},
		"NONE held":                   {"NONE", 1},
		"MEMBER runs":                 {"MEMBER", 2},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newProcessEnv(t, gateConfig)
			if _, err := e.store.Enqueue(ctx, store.Delivery{ID: "fork-1", Event: "pull_request", Payload: forkOpened(t, tc.assoc), ReceivedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			job := &river.Job[store.ProcessDeliveryArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
				Args: store.ProcessDeliveryArgs{Delivery: "fork-1", Event: "pull_request"}}
			if err := e.p.Work(ctx, job); err != nil {
				t.Fatal(err)
			}
			if got := e.queue.Inserted(); got != tc.want {
				t.Fatalf("%d actions queued, want %d", got, tc.want)
			}
			d, err := e.store.DeliveryHistory(ctx, "fork-1")
			if err != nil {
				t.Fatal(err)
			}
			last := d.Rules[0].Conditions[len(d.Rules[0].Conditions)-1]
			heldWhy := "held: author " + tc.assoc + " from fork first-timer/Hello-World; waiting for /ok-to-test (no GitHub App credentials: approvals cannot be read)"
			if held := tc.want == 1; held != (last.Condition == "trusted_only" && last.Detail == heldWhy && !d.Rules[0].Matched) {
				t.Fatalf("rule build: matched %v, last condition %+v", d.Rules[0].Matched, last)
			}
		})
	}
}
