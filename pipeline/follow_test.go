package pipeline

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/store"
)

const (
	appID        = 424242
	installation = 9
	sha          = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	jobName      = "acme/widgets/pr"
	jenkinsToken = "jenkins-token-8c1f"
)

// countingQueue is the real store, with the jobs each InsertJobs and
// RecordProcessing call actually inserted counted.
type countingQueue struct {
	*store.Store
	mu       sync.Mutex
	inserted int
}

func (q *countingQueue) InsertJobs(ctx context.Context, jobs []river.InsertManyParams) (int, error) {
	n, err := q.Store.InsertJobs(ctx, jobs)
	q.mu.Lock()
	q.inserted += n
	q.mu.Unlock()
	return n, err
}

func (q *countingQueue) RecordProcessing(ctx context.Context, p store.Processing) (int, error) {
	n, err := q.Store.RecordProcessing(ctx, p)
	q.mu.Lock()
	q.inserted += n
	q.mu.Unlock()
	return n, err
}

func (q *countingQueue) Inserted() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inserted
}

// followEnv runs the Follow worker on River over a real SQLite store,
// against a fake Jenkins and a fake GitHub.
type followEnv struct {
	queue   *countingQueue
	follow  *Follow
	live    *Live
	jenkins *fakejenkins.Server
	github  *fakegithub.Server
	logs    *test.Hook
}

func newFollowEnv(t *testing.T, jo fakejenkins.Options, opts actions.FollowOptions, withGitHub bool) *followEnv {
	t.Helper()
	return newEnv(t, jo, opts, withGitHub, nil)
}

// newEnv is newFollowEnv with the installation clients' HTTP client given,
// and the Runner working too.
func newEnv(t *testing.T, jo fakejenkins.Options, opts actions.FollowOptions, withGitHub bool, client *http.Client) *followEnv {
	t.Helper()
	jo.User, jo.Token = "switchboard", jenkinsToken
	fj := fakejenkins.New(jo)
	t.Cleanup(fj.Close)
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: appID, PublicKey: key.PublicKey()})
	t.Cleanup(gh.Close)

	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	log := logrus.NewEntry(logger)

	cfg := &config.Config{
		Retry:   config.Retry{MaxAttempts: 3},
		Jenkins: map[string]*config.JenkinsServer{"main": {URL: fj.URL(), User: "switchboard", Token: jenkinsToken}},
	}
	deps := actions.Deps{Logger: log, Follow: opts}
	if withGitHub {
		if deps.GitHub, err = githubapp.New(githubapp.Options{AppID: appID, PrivateKey: key.PEM, BaseURL: gh.URL(), HTTPClient: client}); err != nil {
			t.Fatal(err)
		}
	}
	set, err := actions.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	live := NewLive(&Snapshot{Config: cfg, Actions: set})

	q := &countingQueue{}
	follow := NewFollow(q, live, log, nil)
	workers := river.NewWorkers()
	river.AddWorker(workers, follow)
	river.AddWorker(workers, NewRunner(q, live, log, NewMetrics(nil), nil).WithFollowups(follow))
	st, err := store.Open(context.Background(), store.Options{
		Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "switchboard.db"),
		Logger: log, Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	q.Store = st
	if err := st.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := st.Stop(ctx); err != nil {
			t.Errorf("store stop: %v", err)
		}
		_ = st.Close()
	})
	return &followEnv{queue: q, follow: follow, live: live, jenkins: fj, github: gh, logs: hook}
}

func reportJob(delivery string) actions.Job {
	return actions.Job{Delivery: delivery, Event: "pull_request", Rule: "pr-checks", Index: 0, Kind: "jenkins",
		Target: actions.Target{Installation: installation, Owner: "acme", Repo: "widgets", Number: 3, SHA: sha},
		Jenkins: &actions.JenkinsJob{Server: "main", Job: jobName, Report: true, Context: "jenkins/" + jobName,
			Parameters: map[string]string{actions.DeliveryParameter: delivery}}}
}

// trigger does what the Runner does for a jenkins action: run it, record
// its success, and tell the Follow worker.
func (e *followEnv) trigger(t *testing.T, job actions.Job) {
	t.Helper()
	ctx := context.Background()
	res, err := e.live.Load().Actions.Run(ctx, &job)
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	if err := e.queue.RecordOutcome(ctx, store.Outcome{Delivery: job.Delivery, Rule: job.Rule, Index: job.Index,
		Kind: job.Kind, State: store.OutcomeSucceeded, Attempts: 1, Detail: res.Detail}); err != nil {
		t.Fatal(err)
	}
	if err := e.follow.Succeeded(ctx, &job, res.Detail); err != nil {
		t.Fatalf("Succeeded: %v", err)
	}
}

// waitFinal waits for a status other than pending and returns every
// status set so far.
func (e *followEnv) waitFinal(t *testing.T) []fakegithub.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	final := func() bool {
		for _, s := range e.github.Statuses("acme", "widgets", sha) {
			if s.State != "pending" {
				return true
			}
		}
		return false
	}
	if err := e.github.Wait(ctx, final); err != nil {
		t.Fatalf("no final status: %v; statuses %+v", err, e.github.Statuses("acme", "widgets", sha))
	}
	return e.github.Statuses("acme", "widgets", sha)
}

// progress waits until the outcome's Detail says following is over, and
// returns it.
func (e *followEnv) progress(t *testing.T, job actions.Job) actions.FollowState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		o, err := e.queue.Outcome(context.Background(), job.Delivery, job.Rule, job.Index)
		if err != nil {
			t.Fatal(err)
		}
		if st := actions.ParseFollowState(o.Detail); st.Done() {
			if o.State != store.OutcomeSucceeded || o.Attempts != 1 {
				t.Errorf("outcome %+v: following changed the trigger's state or attempts", o)
			}
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("following not recorded as over: detail %q", o.Detail)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var fast = actions.FollowOptions{Deadline: time.Hour, FirstInterval: 5 * time.Millisecond, MaxInterval: 40 * time.Millisecond}

func TestFollowReportsTheBuild(t *testing.T) {
	tests := map[string]struct {
		result     string
		cancel     bool
		wantState  string
		wantDesc   string
		wantResult string
		wantBuild  bool
	}{
		"success":            {wantState: "success", wantDesc: "#1 succeeded", wantResult: fakejenkins.Success, wantBuild: true},
		"FAILURE":            {result: fakejenkins.Failure, wantState: "failure", wantDesc: "#1 failed", wantResult: fakejenkins.Failure, wantBuild: true},
		"UNSTABLE":           {result: fakejenkins.Unstable, wantState: "failure", wantDesc: "unstable", wantResult: fakejenkins.Unstable, wantBuild: true},
		"ABORTED":            {result: fakejenkins.Aborted, wantState: "error", wantDesc: "aborted", wantResult: fakejenkins.Aborted, wantBuild: true},
		"cancelled in queue": {cancel: true, wantState: "error", wantDesc: "cancelled in the Jenkins queue", wantResult: actions.Cancelled},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// Several polls in the queue and while building: the job
			// reschedules itself between them.
			e := newFollowEnv(t, fakejenkins.Options{QueueSteps: 3, BuildSteps: 3}, fast, true)
			if tc.result != "" {
				e.jenkins.SetResult(jobName, tc.result)
			}
			e.jenkins.SetCancelInQueue(jobName, tc.cancel)
			job := reportJob("d-1")
			e.trigger(t, job)

			got := e.waitFinal(t)
			jobURL := e.jenkins.URL() + "job/acme/job/widgets/job/pr/"
			target := jobURL
			if tc.wantBuild {
				target = jobURL + "1/"
			}
			last := got[len(got)-1]
			if got[0].State != "pending" || got[0].TargetURL != jobURL {
				t.Errorf("first status = %+v, want pending on the job", got[0])
			}
			if last.State != tc.wantState || last.TargetURL != target || !strings.Contains(last.Description, tc.wantDesc) || last.Context != "jenkins/"+jobName {
				t.Errorf("final status = %+v, want %s at %s saying %q", last, tc.wantState, target, tc.wantDesc)
			}
			for _, s := range got[:len(got)-1] {
				if s.State != "pending" {
					t.Errorf("status %+v before the final one is not pending", s)
				}
			}

			st := e.progress(t, job)
			if st.Result != tc.wantResult || (st.Build != "") != tc.wantBuild || st.Checks < 2 {
				t.Errorf("recorded progress %+v, want result %s, a build: %v, several checks", st, tc.wantResult, tc.wantBuild)
			}
			if n := len(e.jenkins.Triggers()); n != 1 {
				t.Errorf("%d builds, want 1", n)
			}
		})
	}
}

// Following is one queue job per action: hearing of the trigger's success
// again (a River retry of the run job) queues nothing more.
func TestFollowIsQueuedOnce(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{}, fast, true)
	job := reportJob("d-1")
	e.trigger(t, job)
	e.waitFinal(t)
	e.progress(t, job)
	o, err := e.queue.Outcome(context.Background(), job.Delivery, job.Rule, job.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.follow.Succeeded(context.Background(), &job, o.Detail); err != nil {
		t.Fatal(err)
	}
	if n := e.queue.Inserted(); n != 1 {
		t.Fatalf("%d follow jobs inserted, want 1", n)
	}

	// Actions other than a reported jenkins build queue nothing.
	plain := reportJob("d-2")
	plain.Jenkins.Report = false
	comment := actions.Job{Delivery: "d-3", Rule: "r", Kind: "comment", Comment: &actions.CommentJob{Body: "x"}}
	for _, j := range []actions.Job{plain, comment} {
		if err := e.follow.Succeeded(context.Background(), &j, "https://ci/queue/item/9/"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.queue.Inserted(); n != 1 {
		t.Fatalf("%d follow jobs inserted, want still 1", n)
	}
}

func TestFollowGivesUpAtTheDeadline(t *testing.T) {
	opts := fast
	opts.Deadline = 300 * time.Millisecond
	e := newFollowEnv(t, fakejenkins.Options{BuildSteps: 1 << 30}, opts, true)
	job := reportJob("d-1")
	e.trigger(t, job)
	got := e.waitFinal(t)
	last := got[len(got)-1]
	if last.State != "error" || !strings.Contains(last.Description, "no result by") {
		t.Fatalf("final status = %+v, want error: no result by the deadline", last)
	}
	if st := e.progress(t, job); st.Result != "" || st.Number != 1 {
		t.Fatalf("progress %+v, want build 1 without a result", st)
	}
}

// Without App credentials nothing can be reported: following stops at the
// first check, with one error logged and the reason recorded.
func TestFollowWithoutGitHubCredentials(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{}, fast, false)
	job := reportJob("d-1")
	e.trigger(t, job)
	st := e.progress(t, job)
	if !strings.Contains(st.Error, "GitHub App credentials") {
		t.Fatalf("progress %+v, want the missing credentials recorded", st)
	}
	errs := 0
	for _, entry := range e.logs.AllEntries() {
		if entry.Level == logrus.ErrorLevel {
			errs++
		}
	}
	if errs != 1 {
		t.Fatalf("%d error lines, want 1", errs)
	}
	if n := len(e.github.Requests()); n != 0 {
		t.Fatalf("%d requests to GitHub, want none", n)
	}
}

// Jenkins down for a while: checks fail and are retried; the build is
// reported once Jenkins is back.
func TestFollowRidesOutJenkinsTrouble(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{QueueSteps: 1}, fast, true)
	job := reportJob("d-1")
	e.trigger(t, job)
	e.jenkins.SetUnavailable(true)

	// Wait for a few refused checks after the pending status.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refused := e.jenkins.Requests()
	if err := e.jenkins.Wait(ctx, func() bool { return e.jenkins.Requests() >= refused+3 }); err != nil {
		t.Fatalf("no checks while Jenkins is down: %v", err)
	}
	e.jenkins.SetUnavailable(false)
	got := e.waitFinal(t)
	if last := got[len(got)-1]; last.State != "success" {
		t.Fatalf("final status = %+v, want success", last)
	}
	warned := false
	for _, entry := range e.logs.AllEntries() {
		if entry.Level == logrus.WarnLevel && entry.Message == "build check failed; will retry" {
			warned = true
		}
	}
	if !warned {
		t.Fatal("no warning about the failed checks")
	}
}
