package actions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const followJobName = "acme/widgets/pr"

// followEnv is a Set that triggers on a fake Jenkins and reports on a fake
// GitHub.
type followEnv struct {
	*ghEnv
	jenkins *fakejenkins.Server
}

func newFollowEnv(t *testing.T, jo fakejenkins.Options, d Deps) *followEnv {
	t.Helper()
	jo.User, jo.Token = jenkinsUser, jenkinsToken
	fj := fakejenkins.New(jo)
	t.Cleanup(fj.Close)
	return &followEnv{ghEnv: newGHEnv(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), d), jenkins: fj}
}

func reportJob(delivery string) *Job {
	return &Job{Delivery: delivery, Event: "pull_request", Rule: "pr", Index: 0, Kind: "jenkins", Target: ghTarget(),
		Jenkins: &JenkinsJob{Server: "main", Job: followJobName, Report: true,
			Parameters: map[string]string{"PR": "12", DeliveryParameter: delivery}}}
}

// trigger queues job's build and returns the state following starts from.
func (e *followEnv) trigger(t *testing.T, job *Job) FollowState {
	t.Helper()
	res, err := run(t, e.set, context.Background(), job)
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	st := ParseFollowState(res.Detail)
	if st.QueueItem != res.Detail {
		t.Fatalf("ParseFollowState(%q) = %+v, want the queue item", res.Detail, st)
	}
	return st
}

// check makes one check, passing the state through its Detail encoding as
// the follow worker stores it.
func (e *followEnv) check(t *testing.T, job *Job, st FollowState, deadline time.Time) (FollowState, bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	next, done, err := e.set.FollowBuild(ctx, job, st, deadline)
	st = ParseFollowState(next.Detail())
	if st != next {
		t.Fatalf("state %+v does not survive its Detail %q", next, next.Detail())
	}
	if done && !st.Done() {
		t.Fatalf("done, but the state %+v says otherwise", st)
	}
	return st, done, err
}

// follow checks until done, at most max times.
func (e *followEnv) follow(t *testing.T, job *Job, st FollowState, deadline time.Time, max int) FollowState {
	t.Helper()
	for i := 1; i <= max; i++ {
		next, done, err := e.check(t, job, st, deadline)
		if err != nil {
			t.Fatalf("check %d: %v", i, err)
		}
		if st = next; done {
			return st
		}
	}
	t.Fatalf("not done after %d checks: %+v", max, st)
	return st
}

type wantStatus struct{ state, target, desc string }

func (e *followEnv) wantStatuses(t *testing.T, want ...wantStatus) {
	t.Helper()
	got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)
	if len(got) != len(want) {
		t.Fatalf("statuses = %+v, want %d", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.State != w.state || g.TargetURL != w.target || !strings.Contains(g.Description, w.desc) || g.Context != "jenkins/"+followJobName {
			t.Errorf("status %d = %s %q %q (context %s), want %s %q containing %q (context jenkins/%s)",
				i, g.State, g.TargetURL, g.Description, g.Context, w.state, w.target, w.desc, followJobName)
		}
	}
}

func (e *followEnv) jobURL() string { return e.jenkins.URL() + "job/acme/job/widgets/job/pr/" }

func TestFollowBuildToSuccess(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{QueueSteps: 1, BuildSteps: 1}, Deps{})
	job := reportJob("d-1")
	st := e.trigger(t, job)
	st = e.follow(t, job, st, time.Now().Add(time.Hour), 5)

	build := e.jobURL() + "1/"
	if st.Build != build || st.Number != 1 || st.Result != fakejenkins.Success {
		t.Fatalf("state = %+v, want build 1 at %s with SUCCESS", st, build)
	}
	e.wantStatuses(t,
		wantStatus{"pending", e.jobURL(), "queued"},
		wantStatus{"pending", build, "#1 running"},
		wantStatus{"success", build, "#1 succeeded"},
	)
	if n := len(e.jenkins.Triggers()); n != 1 {
		t.Fatalf("%d builds triggered, want 1", n)
	}
}

func TestFollowBuildResults(t *testing.T) {
	tests := map[string]struct {
		result, state, desc string
	}{
		"FAILURE":   {fakejenkins.Failure, "failure", "#1 failed"},
		"UNSTABLE":  {fakejenkins.Unstable, "failure", "#1 is unstable"},
		"ABORTED":   {fakejenkins.Aborted, "error", "#1 was aborted"},
		"NOT_BUILT": {fakejenkins.NotBuilt, "error", "#1 was not built"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newFollowEnv(t, fakejenkins.Options{}, Deps{})
			e.jenkins.SetResult(followJobName, tc.result)
			job := reportJob("d-1")
			st := e.follow(t, job, e.trigger(t, job), time.Now().Add(time.Hour), 3)
			if st.Result != tc.result {
				t.Fatalf("Result = %q, want %q", st.Result, tc.result)
			}
			e.wantStatuses(t,
				wantStatus{"pending", e.jobURL(), "queued"},
				wantStatus{tc.state, e.jobURL() + "1/", tc.desc},
			)
		})
	}
}

func TestFollowBuildCancelledInQueue(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{QueueSteps: 1}, Deps{})
	e.jenkins.SetCancelInQueue(followJobName, true)
	job := reportJob("d-1")
	st := e.follow(t, job, e.trigger(t, job), time.Now().Add(time.Hour), 4)
	if st.Result != Cancelled || st.Build != "" {
		t.Fatalf("state = %+v, want cancelled without a build", st)
	}
	e.wantStatuses(t,
		wantStatus{"pending", e.jobURL(), "queued"},
		wantStatus{"error", e.jobURL(), "cancelled in the Jenkins queue"},
	)
}

func TestFollowBuildDeadline(t *testing.T) {
	tests := map[string]struct {
		queueSteps int
		wantDesc   string
		wantTarget func(*followEnv) string
	}{
		"still queued":   {queueSteps: 1000, wantDesc: "No result by", wantTarget: (*followEnv).jobURL},
		"still building": {wantDesc: "Build #1: no result by", wantTarget: func(e *followEnv) string { return e.jobURL() + "1/" }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newFollowEnv(t, fakejenkins.Options{QueueSteps: tc.queueSteps, BuildSteps: 1000}, Deps{})
			job := reportJob("d-1")
			st, done, err := e.check(t, job, e.trigger(t, job), time.Now().Add(time.Hour))
			if err != nil || done {
				t.Fatalf("first check: done %v, %v; want still going", done, err)
			}
			// The deadline passes before the next check.
			st = e.follow(t, job, st, time.Now().Add(-time.Second), 1)
			if st.Result != "" {
				t.Fatalf("Result = %q, want none", st.Result)
			}
			got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)
			last := got[len(got)-1]
			if last.State != "error" || !strings.Contains(last.Description, tc.wantDesc) || last.TargetURL != tc.wantTarget(e) {
				t.Fatalf("last status = %+v, want error %q at %s", last, tc.wantDesc, tc.wantTarget(e))
			}
		})
	}
}

// Jenkins forgets a queue item about 5 minutes after it leaves the queue:
// the build's URL, once seen, is kept in the state and used from then on.
func TestFollowBuildRemembersTheBuildURL(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{BuildSteps: 2}, Deps{})
	job := reportJob("d-1")
	st, done, err := e.check(t, job, e.trigger(t, job), time.Now().Add(time.Hour))
	if err != nil || done || st.Number != 1 {
		t.Fatalf("first check: %+v done %v err %v; want build 1 running", st, done, err)
	}
	if !e.jenkins.ExpireQueueItem(1) {
		t.Fatal("no queue item to expire")
	}
	st = e.follow(t, job, st, time.Now().Add(time.Hour), 3)
	if st.Result != fakejenkins.Success {
		t.Fatalf("state = %+v, want SUCCESS", st)
	}
	e.wantStatuses(t,
		wantStatus{"pending", e.jobURL(), "queued"},
		wantStatus{"pending", e.jobURL() + "1/", "#1 running"},
		wantStatus{"success", e.jobURL() + "1/", "#1 succeeded"},
	)
}

// When Switchboard was away long enough for Jenkins to forget the queue
// item before its build was seen, the build is found by the delivery
// parameter; without one there is no way to find it, and that is reported.
func TestFollowBuildQueueItemForgottenBeforeSeen(t *testing.T) {
	tests := map[string]struct {
		params    map[string]string
		wantState string
		wantDesc  string
	}{
		"found by the delivery parameter": {
			params:    map[string]string{DeliveryParameter: "d-1"},
			wantState: "success", wantDesc: "#1 succeeded",
		},
		"without one": {
			params:    map[string]string{"PR": "12"},
			wantState: "error", wantDesc: "forgot the queue item",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newFollowEnv(t, fakejenkins.Options{QueueSteps: 1000}, Deps{})
			job := reportJob("d-1")
			job.Jenkins.Parameters = tc.params
			st := e.trigger(t, job)
			e.jenkins.ExpireQueueItem(1) // the build starts; the item is forgotten
			e.follow(t, job, st, time.Now().Add(time.Hour), 3)
			got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)
			if last := got[len(got)-1]; last.State != tc.wantState || !strings.Contains(last.Description, tc.wantDesc) {
				t.Fatalf("last status = %+v, want %s %q", last, tc.wantState, tc.wantDesc)
			}
		})
	}
}

// A retried trigger that found its build leaves the build's URL, not a
// queue item's: following starts from the build.
func TestFollowBuildFromABuildURL(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{}, Deps{})
	job := reportJob("d-1")
	st := e.trigger(t, job)
	if _, _, err := e.check(t, job, st, time.Now().Add(time.Hour)); err != nil { // the build exists now
		t.Fatal(err)
	}
	start := len(e.fake.Statuses(ghOwner, ghRepo, ghSHA))
	from := ParseFollowState(e.jobURL() + "1/")
	if from.Build == "" || from.QueueItem != "" {
		t.Fatalf("ParseFollowState(build URL) = %+v", from)
	}
	st = e.follow(t, job, from, time.Now().Add(time.Hour), 2)
	if st.Number != 1 || st.Result != fakejenkins.Success {
		t.Fatalf("state = %+v, want build 1 with SUCCESS", st)
	}
	got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)[start:]
	if len(got) != 2 || got[0].State != "pending" || got[0].TargetURL != e.jobURL()+"1/" || got[1].State != "success" {
		t.Fatalf("statuses = %+v, want pending on the build, then success", got)
	}
}

func TestFollowBuildJenkinsTrouble(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{}, Deps{})
	job := reportJob("d-1")
	st := e.trigger(t, job)
	e.jenkins.SetUnavailable(true)
	st, done, err := e.check(t, job, st, time.Now().Add(time.Hour))
	wantOutcome(t, err, Retry)
	if done || st.Reported != ReportedQueued {
		t.Fatalf("state = %+v done %v, want pending set and still going", st, done)
	}
	e.jenkins.SetUnavailable(false)
	st = e.follow(t, job, st, time.Now().Add(time.Hour), 2)
	e.wantStatuses(t,
		wantStatus{"pending", e.jobURL(), "queued"},
		wantStatus{"success", e.jobURL() + "1/", "#1 succeeded"},
	)

	// Still down at the deadline: the status says so.
	job2 := reportJob("d-2")
	st = e.trigger(t, job2)
	e.jenkins.SetUnavailable(true)
	e.follow(t, job2, st, time.Now().Add(-time.Second), 1)
	got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)
	if last := got[len(got)-1]; last.State != "error" || !strings.Contains(last.Description, "no longer followed") {
		t.Fatalf("last status = %+v, want error: no longer followed", last)
	}
}

func TestFollowBuildPermanentTrouble(t *testing.T) {
	e := newFollowEnv(t, fakejenkins.Options{}, Deps{})
	deadline := time.Now().Add(time.Hour)

	// GitHub refuses the status: nothing can be reported, so following ends.
	job := reportJob("d-1")
	st := e.trigger(t, job)
	e.fake.Fail("POST "+statusesPath, 1, 422, "No commit found for SHA: "+ghSHA)
	_, _, err := e.check(t, job, st, deadline)
	wantOutcome(t, err, PermanentFailure)
	if !strings.Contains(err.Error(), "No commit found") {
		t.Errorf("error %q lacks GitHub's message", err)
	}

	// A server taken out of the configuration: an error status.
	gone := reportJob("d-2")
	gone.Jenkins.Server = "gone"
	e.follow(t, gone, FollowState{QueueItem: e.jenkins.URL() + "queue/item/1/"}, deadline, 1)
	got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)
	if last := got[len(got)-1]; last.State != "error" || !strings.Contains(last.Description, "no longer configured") {
		t.Fatalf("last status = %+v, want error: server no longer configured", last)
	}

	// A rate limit on the status is retried after GitHub's wait.
	reset := time.Unix(time.Now().Add(time.Hour).Unix(), 0)
	limited := newFollowEnv(t, fakejenkins.Options{}, Deps{Now: func() time.Time { return reset.Add(-time.Minute) }})
	limited.fake.RateLimit("POST "+statusesPath, 1, 403, reset)
	job3 := reportJob("d-3")
	_, done, err := limited.check(t, job3, limited.trigger(t, job3), reset.Add(time.Hour))
	if v := wantOutcome(t, err, Retry); v.After != time.Minute || done {
		t.Fatalf("rate-limited status: %+v done %v, want a retry after the reset", v, done)
	}
}

func TestFollowBuildWithoutGitHubCredentials(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})
	_, done, err := s.FollowBuild(context.Background(), reportJob("d-1"), FollowState{QueueItem: fj.URL() + "queue/item/1/"}, time.Now().Add(time.Hour))
	wantOutcome(t, err, PermanentFailure)
	if done || !strings.Contains(err.Error(), "GitHub App credentials") {
		t.Fatalf("error %v (done %v), want a permanent one naming the missing credentials", err, done)
	}
	if n := fj.Requests(); n != 0 {
		t.Fatalf("%d requests to Jenkins, want none", n)
	}
}

func TestFollowOptions(t *testing.T) {
	o := FollowOptions{}.withDefaults()
	if o.Deadline != DefaultFollowDeadline || o.FirstInterval != DefaultFollowFirstInterval || o.MaxInterval != DefaultFollowMaxInterval {
		t.Fatalf("defaults = %+v", o)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := o.Interval(i + 1); got != w {
			t.Errorf("Interval(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := o.Interval(10_000); got != DefaultFollowMaxInterval {
		t.Errorf("Interval(10000) = %v, want the cap", got)
	}
}

func TestParseFollowState(t *testing.T) {
	tests := map[string]struct {
		detail string
		want   FollowState
	}{
		"queue item":     {"https://ci.example.com/queue/item/42/", FollowState{QueueItem: "https://ci.example.com/queue/item/42/"}},
		"build":          {"https://ci.example.com/job/a/job/b%20c/7/", FollowState{Build: "https://ci.example.com/job/a/job/b%20c/7/"}},
		"encoded state":  {FollowState{QueueItem: "q", Build: "b", Number: 3, Reported: ReportedStarted, Checks: 4}.Detail(), FollowState{QueueItem: "q", Build: "b", Number: 3, Reported: ReportedStarted, Checks: 4}},
		"empty":          {"", FollowState{}},
		"something else": {"HTTP 201", FollowState{}},
		"broken JSON":    {"{nope", FollowState{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ParseFollowState(tc.detail); got != tc.want {
				t.Fatalf("ParseFollowState(%q) = %+v, want %+v", tc.detail, got, tc.want)
			}
		})
	}
}

func TestBuildNumber(t *testing.T) {
	path, _ := JenkinsJobPath("acme/my repo/pr")
	tests := map[string]struct {
		url  string
		want int
	}{
		"the job's build":      {"https://ci/job/acme/job/my%20repo/job/pr/12/", 12},
		"behind another root":  {"https://proxy/jenkins/job/acme/job/my%20repo/job/pr/3", 3},
		"another job's build":  {"https://ci/job/acme/job/other/job/pr/12/", 0},
		"not a build":          {"https://ci/job/acme/job/my%20repo/job/pr/", 0},
		"queue item":           {"https://ci/queue/item/12/", 0},
		"zero is not a number": {"https://ci/job/acme/job/my%20repo/job/pr/0/", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got, _ := buildNumber(tc.url, path); got != tc.want {
				t.Fatalf("buildNumber(%q) = %d, want %d", tc.url, got, tc.want)
			}
		})
	}
}

// A server's report_timeout bounds how long its builds are followed; a
// server without one (or a job naming no known server) takes the Set's
// FollowOptions.Deadline.
func TestFollowDeadlinePerServer(t *testing.T) {
	cfg := &config.Config{Jenkins: map[string]*config.JenkinsServer{
		"long":  {URL: "https://ci.example.com/", User: "u", Token: "t", ReportTimeout: config.Duration(12 * time.Hour)},
		"plain": {URL: "https://ci2.example.com/", User: "u", Token: "t"},
	}}
	s, _ := testSet(t, cfg, Deps{Follow: FollowOptions{Deadline: 2 * time.Hour}})
	tests := map[string]struct {
		job  *Job
		want time.Duration
	}{
		"server with report_timeout": {job: &Job{Kind: "jenkins", Jenkins: &JenkinsJob{Server: "long", Job: "a", Report: true}}, want: 12 * time.Hour},
		"server without":             {job: &Job{Kind: "jenkins", Jenkins: &JenkinsJob{Server: "plain", Job: "a", Report: true}}, want: 2 * time.Hour},
		"unknown server":             {job: &Job{Kind: "jenkins", Jenkins: &JenkinsJob{Server: "gone", Job: "a", Report: true}}, want: 2 * time.Hour},
		"no jenkins fields":          {job: &Job{Kind: "jenkins"}, want: 2 * time.Hour},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := s.FollowDeadline(tc.job); got != tc.want {
				t.Errorf("FollowDeadline = %s, want %s", got, tc.want)
			}
		})
	}
}
