package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"strings"
)

type histArgs struct {
	Delivery string `json:"delivery" river:"unique"`
	Rule     string `json:"rule" river:"unique"`
	Index    int    `json:"index" river:"unique"`
}

func (histArgs) Kind() string { return "hist_action" }

func histAction(d, rule string, i int) QueuedAction {
	return QueuedAction{Rule: rule, Index: i, Kind: "log", Params: json.RawMessage(`{"message":"m"}`),
		Job: river.InsertManyParams{Args: histArgs{d, rule, i}, InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}}}
}

func historyStore(t *testing.T, db testDB) *Store {
	t.Helper()
	s := openStore(t, db.options(t))
	startStore(t, s)
	return s
}

// TestRecordProcessingTwice: processing the same delivery again (a retry
// or a rescue) queues no job twice and leaves an action under way as it is.
func TestRecordProcessingTwice(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := historyStore(t, db)
		ctx := context.Background()
		if _, err := s.Enqueue(ctx, Delivery{ID: "d", Event: "push"}); err != nil {
			t.Fatal(err)
		}
		p := Processing{Delivery: "d", Status: ProcessedOK, Actions: []QueuedAction{histAction("d", "r", 0), histAction("d", "r", 1)}}
		if n, err := s.RecordProcessing(ctx, p); err != nil || n != 2 {
			t.Fatalf("first: %d, %v", n, err)
		}
		if err := s.RecordOutcome(ctx, Outcome{Delivery: "d", Rule: "r", Index: 0, Kind: "log", State: OutcomeRunning, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RecordProcessing(ctx, p); err != nil || n != 0 {
			t.Fatalf("again: %d, %v; want nothing queued", n, err)
		}
		if o, err := s.Outcome(ctx, "d", "r", 0); err != nil || o.State != OutcomeRunning || o.Attempts != 1 {
			t.Fatalf("outcome after processing again: %+v, %v", o, err)
		}
		if n := len(jobsOfKind(t, s, "hist_action")); n != 2 {
			t.Fatalf("%d jobs, want 2", n)
		}
		if _, err := s.RecordProcessing(ctx, Processing{Delivery: "gone", Status: ProcessedOK}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("processing a delivery not stored: %v, want ErrNotFound", err)
		}
	})
}

// TestCancelledAndRetryWhenJobGone: an action whose queue job was
// cancelled before it finished is shown cancelled, and can be retried;
// when the queue no longer holds its job, the retry queues it again from
// the stored arguments.
func TestCancelledAndRetryWhenJobGone(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := historyStore(t, db)
		ctx := context.Background()
		if _, err := s.Enqueue(ctx, Delivery{ID: "d", Event: "push"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordProcessing(ctx, Processing{Delivery: "d", Status: ProcessedOK, Actions: []QueuedAction{histAction("d", "r", 0)}}); err != nil {
			t.Fatal(err)
		}
		jobs := jobsOfKind(t, s, "hist_action")
		if len(jobs) != 1 {
			t.Fatalf("%d jobs", len(jobs))
		}
		if _, err := s.q.pool().exec(ctx, `UPDATE river_job SET state = 'cancelled', finalized_at = scheduled_at WHERE id = $1`, jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		d, err := s.DeliveryHistory(ctx, "d")
		if err != nil || d.ActionList[0].State != StateCancelled || d.Status != StatusFailed || d.Actions.Cancelled != 1 {
			t.Fatalf("history: %+v, %v; want the action cancelled and the delivery failed", d, err)
		}
		page, err := s.ListDeliveries(ctx, DeliveryFilter{Status: StatusFailed})
		if err != nil || len(page.Deliveries) != 1 {
			t.Fatalf("failed filter: %+v, %v", page, err)
		}
		id := ActionID("d", "r", 0)
		if err := s.RetryAction(ctx, id); err != nil {
			t.Fatalf("retry cancelled: %v", err)
		}
		jobs = jobsOfKind(t, s, "hist_action")
		if len(jobs) != 1 || jobs[0].State != rivertype.JobStateAvailable {
			t.Fatalf("after retry: %+v; want the job available again", jobs)
		}

		// Failed, and the job gone (River's retention).
		if err := s.RecordOutcome(ctx, Outcome{Delivery: "d", Rule: "r", Index: 0, Kind: "log", State: OutcomeFailed, Attempts: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.q.pool().exec(ctx, `DELETE FROM river_job WHERE id = $1`, jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RetryAction(ctx, id); err != nil {
			t.Fatalf("retry with the job gone: %v", err)
		}
		again := jobsOfKind(t, s, "hist_action")
		var args histArgs
		if len(again) != 1 || again[0].ID == jobs[0].ID || json.Unmarshal(again[0].EncodedArgs, &args) != nil || args != (histArgs{"d", "r", 0}) {
			t.Fatalf("queued again: %+v", again)
		}
		d, err = s.DeliveryHistory(ctx, "d")
		if err != nil || d.ActionList[0].State != StateQueued {
			t.Fatalf("history after retry: %+v, %v", d, err)
		}
		var nr *NotRetryableError
		if err := s.RetryAction(ctx, id); !errors.As(err, &nr) || nr.State != StateQueued {
			t.Fatalf("retry queued: %v", err)
		}
	})
}

// TestRetentionRemovesHistory: deleting old deliveries deletes their
// attempts too; a newer delivery keeps its own.
func TestRetentionRemovesHistory(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := historyStore(t, db)
		ctx := context.Background()
		now := time.Now()
		for i, id := range []string{"old", "new"} {
			at := now.Add(-time.Duration(2-i) * 24 * time.Hour)
			if _, err := s.Enqueue(ctx, Delivery{ID: id, Event: "push", ReceivedAt: at}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RecordProcessing(ctx, Processing{Delivery: id, Status: ProcessedOK, Actions: []QueuedAction{histAction(id, "r", 0)}}); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordOutcome(ctx, Outcome{Delivery: id, Rule: "r", Index: 0, Kind: "log", State: OutcomeSucceeded, Attempts: 1,
				Attempt: &Attempt{N: 1, StartedAt: at, Outcome: OutcomeSucceeded}}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.DeleteDeliveriesBefore(ctx, now.Add(-36*time.Hour), 1); err != nil || n != 1 {
			t.Fatalf("deleted %d, %v", n, err)
		}
		count := func(table, id string) int {
			var n int
			if err := s.q.pool().queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE delivery_id = $1`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, table := range []string{"action_attempts", "delivery_results"} {
			if count(table, "old") != 0 || count(table, "new") != 1 {
				t.Fatalf("%s left: old %d, new %d; want 0 and 1", table, count(table, "old"), count(table, "new"))
			}
		}
		if _, err := s.DeliveryHistory(ctx, "old"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old delivery: %v", err)
		}
		if err := s.RetryAction(ctx, ActionID("old", "r", 0)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("retrying an action of a removed delivery: %v, want ErrNotFound", err)
		}
	})
}

// TestQueueMetrics: switchboard_queue_jobs counts jobs by kind and state
// (0 once a kind has none), and the oldest available job's wait is read
// from its scheduled time.
func TestQueueMetrics(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		reg := prometheus.NewRegistry()
		o := db.options(t)
		o.Registerer = reg
		s := openStore(t, o) // insert-only: nothing runs the jobs
		ctx := context.Background()
		var params []river.InsertManyParams
		for i := range 3 {
			params = append(params, river.InsertManyParams{Args: histArgs{"d", "r", i}})
		}
		params = append(params, river.InsertManyParams{Args: histArgs{"d", "later", 0}, InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}})
		if _, err := s.InsertJobs(ctx, params); err != nil {
			t.Fatal(err)
		}
		// The clock reads three minutes after the oldest available job was
		// scheduled, as River stored it.
		var raw any
		if err := s.q.pool().queryRow(ctx, `SELECT MIN(scheduled_at) FROM river_job WHERE state = 'available'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		oldest, err := anyTime(raw)
		if err != nil || time.Since(oldest).Abs() > time.Hour {
			t.Fatalf("stored scheduled_at %v read as %v, %v", raw, oldest, err)
		}
		s.metrics.queue.now = func() time.Time { return oldest.Add(3 * time.Minute) }
		want := fmt.Sprintf(`
# HELP switchboard_queue_jobs Queue jobs by kind and state (available: waiting for a worker; running; retryable and scheduled: waiting for their time).
# TYPE switchboard_queue_jobs gauge
switchboard_queue_jobs{kind="process_delivery",state="available"} 0
switchboard_queue_jobs{kind="process_delivery",state="retryable"} 0
switchboard_queue_jobs{kind="process_delivery",state="running"} 0
switchboard_queue_jobs{kind="process_delivery",state="scheduled"} 0
switchboard_queue_jobs{kind="hist_action",state="available"} 3
switchboard_queue_jobs{kind="hist_action",state="retryable"} 0
switchboard_queue_jobs{kind="hist_action",state="running"} 0
switchboard_queue_jobs{kind="hist_action",state="scheduled"} 1
# HELP switchboard_queue_oldest_available_seconds How long the oldest job available to run has waited for a worker; 0 when none waits.
# TYPE switchboard_queue_oldest_available_seconds gauge
switchboard_queue_oldest_available_seconds %d
`, 180)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "switchboard_queue_jobs", "switchboard_queue_oldest_available_seconds"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.q.pool().exec(ctx, `DELETE FROM river_job`); err != nil {
			t.Fatal(err)
		}
		want = strings.ReplaceAll(strings.ReplaceAll(want, `"available"} 3`, `"available"} 0`), `"scheduled"} 1`, `"scheduled"} 0`)
		want = strings.Replace(want, "seconds 180", "seconds 0", 1)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "switchboard_queue_jobs", "switchboard_queue_oldest_available_seconds"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRetryWhileJobNotYetFinished: River writes a job's end after the
// runner recorded the action's failure; a retry in between queues a new
// job, since River leaves a running job alone.
func TestRetryWhileJobNotYetFinished(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := historyStore(t, db)
		ctx := context.Background()
		if _, err := s.Enqueue(ctx, Delivery{ID: "d", Event: "push"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordProcessing(ctx, Processing{Delivery: "d", Status: ProcessedOK, Actions: []QueuedAction{histAction("d", "r", 0)}}); err != nil {
			t.Fatal(err)
		}
		old := jobsOfKind(t, s, "hist_action")[0]
		if _, err := s.q.pool().exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1 WHERE id = $1`, old.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordOutcome(ctx, Outcome{Delivery: "d", Rule: "r", Index: 0, Kind: "log", State: OutcomeFailed, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.RetryAction(ctx, ActionID("d", "r", 0)); err != nil {
			t.Fatal(err)
		}
		jobs := jobsOfKind(t, s, "hist_action")
		var available int
		for _, j := range jobs {
			if j.State == rivertype.JobStateAvailable && j.ID != old.ID {
				available++
			}
		}
		if len(jobs) != 2 || available != 1 {
			t.Fatalf("jobs after the retry: %d, %d new and available; want the running one and one new", len(jobs), available)
		}
	})
}
