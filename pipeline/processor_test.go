package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/store"
)

const processConfig = `
github: {webhook_secret: s}
rules:
  - name: two-logs
    on: [push]
    do:
      - log: {message: "first {{ .Delivery }}"}
      - log: {message: "second {{ .ShortSHA }}"}
  - name: one-more
    on: [push]
    if: {repository: "Codertocat/*"}
    do:
      - log: {message: "third"}
  - name: never
    on: [issues]
    do:
      - log: {message: "not for pushes"}
`

// A delivery processed twice (a retry, or a rescue after a crash) queues
// each of its actions once: the jobs are unique by delivery, rule and index.
func TestProcessingTwiceQueuesEachActionOnce(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, processConfig)
	payload, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Enqueue(ctx, store.Delivery{ID: "twice-1", Event: "push", Payload: payload, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	job := &river.Job[store.ProcessDeliveryArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
		Args:   store.ProcessDeliveryArgs{Delivery: "twice-1", Event: "push"},
	}
	if err := e.p.Work(ctx, job); err != nil {
		t.Fatalf("first processing: %v", err)
	}
	if got := e.queue.Inserted(); got != 3 {
		t.Fatalf("first processing queued %d actions, want 3", got)
	}
	// A second Processor, as after a restart, and with the rules edited
	// meanwhile, so that the actions render differently: the jobs are unique
	// by delivery, rule and index, not by what they render to.
	edited := strings.NewReplacer("first", "edited", "second", "changed", "third", "altered").Replace(processConfig)
	e.live.Swap(snapshotOf(t, edited, e.log))
	p2 := NewProcessor(e.queue, e.live, nil, e.log, NewMetrics(nil), nil)
	job.Attempt = 2
	if err := p2.Work(ctx, job); err != nil {
		t.Fatalf("second processing: %v", err)
	}
	if got := e.queue.Inserted(); got != 3 {
		t.Fatalf("after processing twice %d actions are queued, want 3", got)
	}
}
