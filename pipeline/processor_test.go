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
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
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
	cfg, err := config.Parse("process.yml", []byte(processConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := rules.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logger, _ := test.NewNullLogger()
	log := logrus.NewEntry(logger)
	set, err := actions.New(cfg, actions.Deps{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	live := NewLive(&Snapshot{Config: cfg, Rules: engine, Actions: set})

	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "sb.db"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = st.Stop(sctx)
	})
	payload, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, store.Delivery{ID: "twice-1", Event: "push", Payload: payload, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	q := &countingQueue{Store: st}
	p := NewProcessor(q, live, nil, log, NewMetrics(nil), nil)
	job := &river.Job[store.ProcessDeliveryArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
		Args:   store.ProcessDeliveryArgs{Delivery: "twice-1", Event: "push"},
	}
	if err := p.Work(ctx, job); err != nil {
		t.Fatalf("first processing: %v", err)
	}
	if got := q.Inserted(); got != 3 {
		t.Fatalf("first processing queued %d actions, want 3", got)
	}
	// A second Processor, as after a restart, and with the rules edited
	// meanwhile, so that the actions render differently: the jobs are unique
	// by delivery, rule and index, not by what they render to.
	edited, err := config.Parse("process.yml", []byte(strings.NewReplacer("first", "edited", "second", "changed", "third", "altered").Replace(processConfig)), nil)
	if err != nil {
		t.Fatal(err)
	}
	editedRules, err := rules.Compile(edited)
	if err != nil {
		t.Fatal(err)
	}
	editedSet, err := actions.New(edited, actions.Deps{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	live.Swap(&Snapshot{Config: edited, Rules: editedRules, Actions: editedSet})
	p2 := NewProcessor(q, live, nil, log, NewMetrics(nil), nil)
	job.Attempt = 2
	if err := p2.Work(ctx, job); err != nil {
		t.Fatalf("second processing: %v", err)
	}
	if got := q.Inserted(); got != 3 {
		t.Fatalf("after processing twice %d actions are queued, want 3", got)
	}
}
