package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// BenchmarkDeliveryThroughPipeline: one push stored, processed (two log
// actions queued) and both actions run, calling the workers directly over
// a SQLite store: the store writes one delivery costs from intake to its
// last action, without River's fetching and completion.
func BenchmarkDeliveryThroughPipeline(b *testing.B) {
	ctx := context.Background()
	logger := logrus.New()
	logger.SetOutput(os.Stderr)
	logger.SetLevel(logrus.ErrorLevel)
	log := logrus.NewEntry(logger)
	t := &testing.T{}
	live := NewLive(snapshotOf(t, `
github: {webhook_secret: s}
rules:
  - name: two
    on: [push]
    if: {branches: [master]}
    do:
      - log: {message: "a {{ .ShortSHA }}"}
      - log: {message: "b {{ .Sender }}"}
`, log))
	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(b.TempDir(), "sb.db"), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Start(ctx); err != nil {
		b.Fatal(err)
	}
	payload, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch.json"))
	if err != nil {
		b.Fatal(err)
	}
	p := NewProcessor(st, live, nil, log, nil, nil)
	r := NewRunner(st, live, log, nil, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench-%d", i)
		if _, err := st.Enqueue(ctx, store.Delivery{ID: id, Event: "push", Payload: payload}); err != nil {
			b.Fatal(err)
		}
		if err := p.Work(ctx, &river.Job[store.ProcessDeliveryArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
			Args: store.ProcessDeliveryArgs{Delivery: id, Event: "push"}}); err != nil {
			b.Fatal(err)
		}
		ev, err := rules.NewEvent("push", id, payload)
		if err != nil {
			b.Fatal(err)
		}
		jobs, err := live.Load().Rules.Evaluate(ctx, ev, nil)
		if err != nil || len(jobs) != 2 {
			b.Fatalf("%d jobs, %v", len(jobs), err)
		}
		for _, j := range jobs {
			if err := r.Work(ctx, &river.Job[RunActionArgs]{JobRow: &rivertype.JobRow{ID: 2, Attempt: 1},
				Args: RunActionArgs{Delivery: id, Rule: j.Rule, Index: j.Index, Job: j}}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
