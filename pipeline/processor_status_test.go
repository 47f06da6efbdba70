package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

const statusConfig = `
github: {webhook_secret: s}
rules:
  - name: plain
    on: [push]
    do:
      - log: {message: "push {{ .ShortSHA }}"}
  - name: big-changes
    on: [push]
    if: {expr: 'payload.head_commit.message startsWith "Big"'}
    do:
      - log: {message: "big"}
  - name: head-message
    on: [push]
    do:
      - log: {message: "{{ .Payload.head_commit.message }}"}
`

// Each way a stored delivery can fail to become actions ends as the
// processing log line and metric say: an unparsable payload is cancelled
// (a retry cannot help) with nothing queued; an expr that fails on this
// payload, or an action that does not render, leaves the other rules'
// actions queued.
func TestProcessingStatuses(t *testing.T) {
	push, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch-delete.json"))
	if err != nil {
		t.Fatal(err)
	}
	conditionsOnly := statusConfig[:len(statusConfig)-len(`  - name: head-message
    on: [push]
    do:
      - log: {message: "{{ .Payload.head_commit.message }}"}
`)]
	tests := map[string]struct {
		config     string
		payload    []byte
		wantStatus string
		wantQueued int
		cancelled  bool
		notStored  bool // the job names a delivery the store does not have
	}{
		"processed": {config: statusConfig, payload: push, wantStatus: "processed", wantQueued: 2},
		// A branch deletion has "head_commit": null: the expr cannot read
		// its message and the template cannot render it.
		"condition and render errors": {config: statusConfig, payload: deleted, wantStatus: "render_errors", wantQueued: 1},
		"condition error":             {config: conditionsOnly, payload: deleted, wantStatus: "condition_errors", wantQueued: 1},
		"unparsable":                  {config: statusConfig, payload: []byte(`{"ref": 5}`), wantStatus: "unparsable", cancelled: true},
		// Retention removed it before its processing job ran.
		"missing": {config: statusConfig, notStored: true, wantStatus: "missing", cancelled: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newProcessEnv(t, tc.config)
			p, q, hook := e.p, e.queue, e.logs
			if !tc.notStored {
				if _, err := e.store.Enqueue(ctx, store.Delivery{ID: "s-1", Event: "push", Payload: tc.payload, ReceivedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			err := p.Work(ctx, &river.Job[store.ProcessDeliveryArgs]{
				JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
				Args:   store.ProcessDeliveryArgs{Delivery: "s-1", Event: "push"},
			})
			var cancel *rivertype.JobCancelError
			if got := errors.As(err, &cancel); got != tc.cancelled || (!tc.cancelled && err != nil) {
				t.Fatalf("Work = %v, want cancelled: %v", err, tc.cancelled)
			}
			if n := q.Inserted(); n != tc.wantQueued {
				t.Errorf("%d actions queued, want %d", n, tc.wantQueued)
			}
			var status any
			for _, e := range hook.AllEntries() {
				if s, ok := e.Data["status"]; ok {
					status = s
				}
			}
			if status != tc.wantStatus {
				t.Errorf("logged status %v, want %s", status, tc.wantStatus)
			}
			if n := testutil.ToFloat64(p.metrics.deliveries.WithLabelValues("push", tc.wantStatus)); n != 1 {
				t.Errorf("switchboard_deliveries_processed_total{status=%q} = %v, want 1", tc.wantStatus, n)
			}
		})
	}
}

// The status names what went wrong: a render error wins, since the config
// is then at fault; an expr failure alone is a condition error.
func TestRuleErrorStatus(t *testing.T) {
	cond := &rules.ConditionError{Rule: "r", Err: errors.New("x")}
	render := &rules.RenderError{Rule: "r", Kind: "log", Err: errors.New("y")}
	if got := ruleErrorStatus(errors.Join(cond)); got != "condition_errors" {
		t.Errorf("condition only: %s", got)
	}
	if got := ruleErrorStatus(errors.Join(cond, render)); got != "render_errors" {
		t.Errorf("both: %s", got)
	}
}

// processEnv is a Processor over a real SQLite store, with a config's rules.
type processEnv struct {
	p     *Processor
	store *store.Store
	queue *countingQueue
	live  *Live
	log   *logrus.Entry
	logs  *test.Hook
	dsn   string // the SQLite file
}

// snapshotOf compiles cfgYAML into a Snapshot.
func snapshotOf(t testing.TB, cfgYAML string, log *logrus.Entry) *Snapshot {
	t.Helper()
	cfg, err := config.Parse("process.yml", []byte(cfgYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := rules.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	set, err := actions.New(cfg, actions.Deps{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return &Snapshot{Config: cfg, Rules: engine, Actions: set}
}

func newProcessEnv(t testing.TB, cfgYAML string) *processEnv {
	t.Helper()
	ctx := context.Background()
	logger, hook := test.NewNullLogger()
	log := logrus.NewEntry(logger)
	live := NewLive(snapshotOf(t, cfgYAML, log))
	dsn := filepath.Join(t.TempDir(), "sb.db")
	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: dsn, Logger: log})
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
	q := &countingQueue{Store: st}
	return &processEnv{p: NewProcessor(q, live, nil, log, NewMetrics(nil), nil), store: st, queue: q, live: live, log: log, logs: hook, dsn: dsn}
}
