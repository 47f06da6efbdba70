package pipeline

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// A comment whose answer never comes (GitHub created it; the client timed
// out) is recorded as unconfirmed; the Runner's next attempt runs
// interrupted, finds the comment by its marker, and posts nothing: exactly
// one comment, and the action succeeds.
func TestCommentRetriedAfterTimeoutPostsOnce(t *testing.T) {
	e := newEnv(t, fakejenkins.Options{}, fast, true, &http.Client{Timeout: time.Second})
	const path = "/repos/acme/widgets/issues/3/comments"
	e.github.Delay("POST "+path, 1, 0) // takes effect, never answers

	job := actions.Job{Delivery: "d-7", Event: "pull_request", Rule: "pr-checks", Index: 1, Kind: "comment",
		Target:  actions.Target{Installation: installation, Owner: "acme", Repo: "widgets", Number: 3, SHA: sha},
		Comment: &actions.CommentJob{Body: "Build queued."}}
	if _, err := e.queue.InsertJobs(context.Background(), []river.InsertManyParams{{
		Args:       RunActionArgs{Delivery: job.Delivery, Rule: job.Rule, Index: job.Index, Job: job},
		InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}},
	}}); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	var o *store.Outcome
	for {
		var err error
		o, err = e.queue.Outcome(context.Background(), job.Delivery, job.Rule, job.Index)
		if err == nil && (o.State == store.OutcomeSucceeded || o.State == store.OutcomeFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("comment action not finished: %+v %v", o, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if o.State != store.OutcomeSucceeded || o.Attempts != 2 || !strings.Contains(o.Detail, "#issuecomment-") {
		t.Fatalf("outcome %+v, want succeeded on the second attempt with the comment's URL", o)
	}
	if got := e.github.Comments("acme", "widgets", 3); len(got) != 1 {
		t.Fatalf("%d comments, want exactly 1: %+v", len(got), got)
	}
	if n := e.github.Count("POST " + path); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if n := e.github.Count("GET " + path); n != 1 {
		t.Fatalf("%d listings, want 1 (by the attempt after the unconfirmed one)", n)
	}
	unconfirmed := false
	for _, entry := range e.logs.AllEntries() {
		if entry.Data[logfield.Outcome] == store.OutcomeUnconfirmed {
			unconfirmed = true
		}
	}
	if !unconfirmed {
		t.Fatal("the timed-out attempt was not logged as unconfirmed")
	}
}
