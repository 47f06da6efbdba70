package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/store"
)

// TestParamsShowNoSecret: an http action's signing secret, headers that
// carry credentials and any configured secret inside a value are shown as
// <secret>; other fields as rendered.
func TestParamsShowNoSecret(t *testing.T) {
	red := newRedactor([]string{"s3cr3t-token-value", "abc"}) // "abc" is too short to hunt for
	body := `{"t":"s3cr3t-token-value","abc":1}`
	tests := map[string]struct {
		job  actions.Job
		want string
	}{
		"http": {
			job: actions.Job{Kind: "http", HTTP: &actions.HTTPJob{URL: "https://h.example.com/?k=s3cr3t-token-value", Method: "POST", Body: &body, Signed: true,
				Headers: map[string]string{"Authorization": "Bearer x", "X-Api-Key": "k", "X-Hub-Signature-256": "sha256=1", "Cookie": "c", "Content-Type": "text/plain"}}},
			want: `{"body":"{\"t\":\"<secret>\",\"abc\":1}","headers":{"Authorization":"<secret>","Content-Type":"text/plain","Cookie":"<secret>","X-Api-Key":"<secret>","X-Hub-Signature-256":"<secret>"},"method":"POST","secret":"<secret>","signed":true,"url":"https://h.example.com/?k=<secret>"}`,
		},
		"unsigned http": {
			job:  actions.Job{Kind: "http", HTTP: &actions.HTTPJob{URL: "https://h.example.com/", Method: "PUT"}},
			want: `{"method":"PUT","url":"https://h.example.com/"}`,
		},
		"jenkins": {
			job:  actions.Job{Kind: "jenkins", Jenkins: &actions.JenkinsJob{Server: "main", Job: "a/b", Parameters: map[string]string{"TOKEN": "s3cr3t-token-value", "SHA": "abc"}, Report: true}},
			want: `{"job":"a/b","parameters":{"SHA":"abc","TOKEN":"<secret>"},"report":true,"server":"main"}`,
		},
		"label": {
			job:  actions.Job{Kind: "label", Label: &actions.LabelJob{Add: []string{"ok", "s3cr3t-token-value"}}},
			want: `{"add":["ok","<secret>"]}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := paramsOf(&tc.job, red)
			if err != nil {
				t.Fatal(err)
			}
			// Compare as JSON values: map order is not part of the contract.
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal([]byte(tc.want), &w)
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if string(gb) != string(wb) {
				t.Errorf("params = %s\nwant     %s", got, tc.want)
			}
		})
	}
	if _, err := paramsOf(&actions.Job{Kind: "teleport"}, red); err == nil {
		t.Error("an unknown kind gave params")
	}
}

const historyConfig = `
github: {webhook_secret: s}
rules:
  - name: main-only
    on: [push]
    if: {branches: [main]}
    do:
      - log: {message: "main"}
  - name: any-branch
    on: [push]
    if: {repository: "codertocat/*"}
    do:
      - log: {message: "pushed {{ .ShortSHA }}"}
`

// TestProcessorRecordsHistory: processing records the event's action,
// repository and sender, each rule's explanation and each action queued
// with its params; a payload that does not parse is recorded as an error.
func TestProcessorRecordsHistory(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, historyConfig)
	payload, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	for id, p := range map[string][]byte{"h-1": payload, "h-bad": []byte(`{"ref": 5}`)} {
		if _, err := e.store.Enqueue(ctx, store.Delivery{ID: id, Event: "push", Payload: p}); err != nil {
			t.Fatal(err)
		}
		_ = e.p.Work(ctx, &river.Job[store.ProcessDeliveryArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
			Args: store.ProcessDeliveryArgs{Delivery: id, Event: "push"}})
	}
	d, err := e.store.DeliveryHistory(ctx, "h-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Repo != "Codertocat/Hello-World" || d.Sender != "Codertocat" || d.Status != store.StatusRunning || d.RulesMatched != 1 || d.ProcessedAt.IsZero() {
		t.Errorf("summary: %+v", d.DeliverySummary)
	}
	if len(d.Rules) != 2 || d.Rules[0].Matched || d.Rules[0].Conditions[1].Detail != "branch is master; wanted main" || !d.Rules[1].Matched {
		t.Errorf("rules: %+v", d.Rules)
	}
	if len(d.ActionList) != 1 || d.ActionList[0].Rule != "any-branch" || d.ActionList[0].State != store.StateQueued ||
		string(d.ActionList[0].Params) != `{"message":"pushed 6113728"}` {
		t.Errorf("actions: %+v", d.ActionList)
	}
	bad, err := e.store.DeliveryHistory(ctx, "h-bad")
	if err != nil || bad.Status != store.StatusError || !strings.HasPrefix(bad.ProcessError, "payload rejected: ") {
		t.Errorf("unparsable: %+v, %v", bad, err)
	}
}

// TestRunnerRecordsAttempts: each attempt is recorded with its outcome and
// error, a retry's next attempt time is kept, the first attempt feeds
// switchboard_delivery_to_action_seconds, and a retry by hand gets a fresh
// budget: an action that failed after max_attempts retries again on a
// transient error instead of failing at once.
func TestRunnerRecordsAttempts(t *testing.T) {
	ctx := context.Background()
	var answers atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		answers.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer hook.Close()
	e := newProcessEnv(t, `
github: {webhook_secret: s}
retry: {max_attempts: 2, initial_backoff: 1s, max_backoff: 10s}
rules:
  - name: call
    on: [push]
    do:
      - http: {url: "`+hook.URL+`", body: "x"}
`)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	r := NewRunner(e.queue, e.live, e.log, NewMetrics(reg), func() time.Time { return now })
	r.jitter = func() float64 { return 0.5 }

	if _, err := e.store.Enqueue(ctx, store.Delivery{ID: "r-1", Event: "push", Payload: []byte(`{}`), ReceivedAt: now.Add(-1500 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	body := "x"
	job := actions.Job{Delivery: "r-1", Event: "push", Rule: "call", Index: 0, Kind: "http", HTTP: &actions.HTTPJob{URL: hook.URL, Method: "POST", Body: &body}}
	args := RunActionArgs{Delivery: "r-1", Rule: "call", Index: 0, Job: job, ReceivedAt: now.Add(-1500 * time.Millisecond)}
	if _, err := e.store.RecordProcessing(ctx, store.Processing{Delivery: "r-1", Status: store.ProcessedOK,
		Actions: []store.QueuedAction{{Rule: "call", Index: 0, Kind: "http", Params: json.RawMessage(`{}`), Job: river.InsertManyParams{Args: args}}}}); err != nil {
		t.Fatal(err)
	}
	work := func() error {
		return r.Work(ctx, &river.Job[RunActionArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1}, Args: args})
	}
	history := func() store.ActionRecord {
		d, err := e.store.DeliveryHistory(ctx, "r-1")
		if err != nil || len(d.ActionList) != 1 {
			t.Fatalf("history: %+v, %v", d, err)
		}
		return d.ActionList[0]
	}

	var snooze *river.JobSnoozeError
	if err := work(); !errors.As(err, &snooze) {
		t.Fatalf("first attempt: %v, want a snooze", err)
	}
	a := history()
	if a.State != store.StateRetrying || len(a.Attempts) != 1 || a.Attempts[0].Outcome != store.OutcomeRetrying ||
		!strings.Contains(a.Attempts[0].Error, "503") || !a.Attempts[0].StartedAt.Equal(now) || !a.NextAttemptAt.After(now) {
		t.Fatalf("after attempt 1: %+v", a)
	}
	want := `
# HELP switchboard_delivery_to_action_seconds Time from a delivery's receipt to the start of the first attempt of each of its actions.
# TYPE switchboard_delivery_to_action_seconds histogram
switchboard_delivery_to_action_seconds_bucket{le="0.01"} 0
switchboard_delivery_to_action_seconds_bucket{le="0.05"} 0
switchboard_delivery_to_action_seconds_bucket{le="0.1"} 0
switchboard_delivery_to_action_seconds_bucket{le="0.25"} 0
switchboard_delivery_to_action_seconds_bucket{le="0.5"} 0
switchboard_delivery_to_action_seconds_bucket{le="1"} 0
switchboard_delivery_to_action_seconds_bucket{le="2.5"} 1
switchboard_delivery_to_action_seconds_bucket{le="5"} 1
switchboard_delivery_to_action_seconds_bucket{le="10"} 1
switchboard_delivery_to_action_seconds_bucket{le="30"} 1
switchboard_delivery_to_action_seconds_bucket{le="60"} 1
switchboard_delivery_to_action_seconds_bucket{le="300"} 1
switchboard_delivery_to_action_seconds_bucket{le="900"} 1
switchboard_delivery_to_action_seconds_bucket{le="3600"} 1
switchboard_delivery_to_action_seconds_bucket{le="+Inf"} 1
switchboard_delivery_to_action_seconds_sum 1.5
switchboard_delivery_to_action_seconds_count 1
`
	if err := work(); err == nil {
		t.Fatal("second attempt succeeded against a 503")
	}
	a = history()
	if a.State != store.StateFailed || len(a.Attempts) != 2 || a.Attempts[1].Outcome != store.OutcomeFailed || !a.NextAttemptAt.IsZero() {
		t.Fatalf("after attempt 2 of 2: %+v", a)
	}
	// Only the first attempt counts towards the time to the first action.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "switchboard_delivery_to_action_seconds"); err != nil {
		t.Fatal(err)
	}

	if err := e.store.RetryAction(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := work(); !errors.As(err, &snooze) {
		t.Fatalf("attempt 3, after a retry by hand: %v, want a snooze (a fresh budget)", err)
	}
	a = history()
	if a.State != store.StateRetrying || len(a.Attempts) != 3 || a.Attempts[2].N != 3 || answers.Load() != 3 {
		t.Fatalf("after the retry by hand: %+v, %d calls", a, answers.Load())
	}
}

// TestRunnerRecordsInterruptedAttempt: an attempt whose process died (the
// outcome still says running) is recorded as interrupted when the next
// attempt starts, and the next attempt is numbered after it.
func TestRunnerRecordsInterruptedAttempt(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, `
github: {webhook_secret: s}
rules:
  - name: note
    on: [push]
    do:
      - log: {message: "x"}
`)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := NewRunner(e.queue, e.live, e.log, NewMetrics(nil), func() time.Time { return now })
	if _, err := e.store.Enqueue(ctx, store.Delivery{ID: "i-1", Event: "push", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	job := actions.Job{Delivery: "i-1", Event: "push", Rule: "note", Index: 0, Kind: "log", Log: &actions.LogJob{Message: "x"}}
	args := RunActionArgs{Delivery: "i-1", Rule: "note", Index: 0, Job: job}
	if _, err := e.store.RecordProcessing(ctx, store.Processing{Delivery: "i-1", Status: store.ProcessedOK,
		Actions: []store.QueuedAction{{Rule: "note", Index: 0, Kind: "log", Params: json.RawMessage(`{}`), Job: river.InsertManyParams{Args: args}}}}); err != nil {
		t.Fatal(err)
	}
	// Attempt 1 started, and its process died.
	died := now.Add(-time.Minute)
	if err := e.store.RecordOutcome(ctx, store.Outcome{Delivery: "i-1", Rule: "note", Index: 0, Kind: "log", State: store.OutcomeRunning, Attempts: 1, UpdatedAt: died}); err != nil {
		t.Fatal(err)
	}
	if err := r.Work(ctx, &river.Job[RunActionArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 2}, Args: args}); err != nil {
		t.Fatal(err)
	}
	d, err := e.store.DeliveryHistory(ctx, "i-1")
	if err != nil {
		t.Fatal(err)
	}
	at := d.ActionList[0].Attempts
	if len(at) != 2 || at[0].N != 1 || at[0].Outcome != store.AttemptInterrupted || !at[0].StartedAt.Equal(died) ||
		at[1].N != 2 || at[1].Outcome != store.OutcomeSucceeded || d.ActionList[0].State != store.StateSucceeded {
		t.Fatalf("attempts: %+v, state %s", at, d.ActionList[0].State)
	}
}
