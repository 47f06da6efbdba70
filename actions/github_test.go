package actions

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

const (
	ghAppID        = 424242
	ghInstallation = 77
	ghOwner        = "acme"
	ghRepo         = "widgets"
	ghNumber       = 12
	ghSHA          = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
)

// ghEnv is a Set whose GitHub runners talk to a fake GitHub.
type ghEnv struct {
	fake *fakegithub.Server
	set  *Set
	key  *fakegithub.Key
	cfg  *config.Config
}

// newGHEnv starts a fake GitHub and a Set acting as the App on it. cfg may
// carry Jenkins servers; d may set Now, Follow and HTTPClient.
func newGHEnv(t *testing.T, cfg *config.Config, d Deps) *ghEnv {
	t.Helper()
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	fake := fakegithub.New(fakegithub.Options{AppID: ghAppID, PublicKey: key.PublicKey()})
	t.Cleanup(fake.Close)
	if cfg == nil {
		cfg = &config.Config{}
	}
	e := &ghEnv{fake: fake, key: key, cfg: cfg}
	e.set = e.newSet(t, d)
	return e
}

// newSet makes another Set on the same fake, with a Creator of its own
// (and so go-github clients that remember no earlier rate limit).
func (e *ghEnv) newSet(t *testing.T, d Deps) *Set {
	t.Helper()
	creator, err := githubapp.New(githubapp.Options{AppID: ghAppID, PrivateKey: e.key.PEM, BaseURL: e.fake.URL(), HTTPClient: d.HTTPClient})
	if err != nil {
		t.Fatalf("githubapp.New: %v", err)
	}
	d.GitHub = creator
	set, _ := testSet(t, e.cfg, d)
	return set
}

func ghTarget() Target {
	return Target{Installation: ghInstallation, Owner: ghOwner, Repo: ghRepo, Number: ghNumber, SHA: ghSHA}
}

func statusJob(st StatusJob) *Job {
	return &Job{Delivery: "d-1", Event: "pull_request", Rule: "pr", Index: 0, Kind: "status", Target: ghTarget(), Status: &st}
}

func commentJob(body string) *Job {
	return &Job{Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "pull_request", Rule: "pr checks", Index: 1,
		Kind: "comment", Target: ghTarget(), Comment: &CommentJob{Body: body}}
}

func labelJob(add, remove []string) *Job {
	return &Job{Delivery: "d-1", Event: "pull_request", Rule: "pr", Index: 2, Kind: "label", Target: ghTarget(),
		Label: &LabelJob{Add: add, Remove: remove}}
}

const (
	statusesPath = "/repos/" + ghOwner + "/" + ghRepo + "/statuses/" + ghSHA
	commentsPath = "/repos/acme/widgets/issues/12/comments"
)

func TestGitHubRunnersActAsTheInstallation(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	if got := e.set.Unavailable(); len(got) != 0 {
		t.Fatalf("Unavailable() = %v with App credentials, want none", got)
	}
	if _, err := run(t, e.set, context.Background(), statusJob(StatusJob{Context: "ci", State: "pending"})); err != nil {
		t.Fatalf("status: %v", err)
	}
	if _, err := run(t, e.set, context.Background(), commentJob("hello")); err != nil {
		t.Fatalf("comment: %v", err)
	}

	ex := e.fake.TokenExchanges()
	if len(ex) != 1 {
		t.Fatalf("%d token exchanges, want 1 (the token is cached): %+v", len(ex), ex)
	}
	if ex[0].Issuer != strconv.Itoa(ghAppID) || ex[0].Installation != ghInstallation {
		t.Errorf("token exchange = %+v, want a JWT issued by App %d for installation %d", ex[0], ghAppID, ghInstallation)
	}
	if len(ex[0].Repositories) != 0 || len(ex[0].Permissions) != 0 {
		t.Errorf("token exchange asked for restrictions %v %v, want the installation's full access", ex[0].Repositories, ex[0].Permissions)
	}
	for _, r := range e.fake.Requests() {
		if strings.HasPrefix(r.Path, "/repos/") && (r.Auth != "token" || r.Installation != ghInstallation) {
			t.Errorf("%s %s authenticated as %q/%d, want the installation's token", r.Method, r.Path, r.Auth, r.Installation)
		}
	}
}

func TestStatusRunner(t *testing.T) {
	long := strings.Repeat("é", MaxStatusDescription+20)
	tests := map[string]struct {
		job         StatusJob
		wantContext string
		wantDesc    string
	}{
		"all fields": {
			job:         StatusJob{Context: "release", State: "success", Description: "Release v1.2 done", TargetURL: "https://ci.example.com/1"},
			wantContext: "release", wantDesc: "Release v1.2 done",
		},
		"no context is GitHub's default": {
			job:         StatusJob{State: "pending"},
			wantContext: "default",
		},
		"description cut to 140 characters": {
			job:         StatusJob{Context: "ci", State: "failure", Description: long},
			wantContext: "ci", wantDesc: string([]rune(long)[:MaxStatusDescription-1]) + "…",
		},
	}
	e := newGHEnv(t, nil, Deps{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := len(e.fake.Statuses(ghOwner, ghRepo, ghSHA))
			res, err := run(t, e.set, context.Background(), statusJob(tc.job))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := e.fake.Statuses(ghOwner, ghRepo, ghSHA)
			if len(got) != before+1 {
				t.Fatalf("%d new statuses, want 1", len(got)-before)
			}
			s := got[before]
			if s.State != tc.job.State || s.Context != tc.wantContext || s.Description != tc.wantDesc || s.TargetURL != tc.job.TargetURL {
				t.Errorf("status = %+v, want state %s context %s description %q target %q", s, tc.job.State, tc.wantContext, tc.wantDesc, tc.job.TargetURL)
			}
			if res.Detail != tc.job.State {
				t.Errorf("Detail = %q, want the state", res.Detail)
			}
		})
	}
}

func TestGitHubRunnersRefuseIncompleteTargets(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	tests := map[string]struct {
		job  *Job
		want string
	}{
		"no installation": {func() *Job { j := commentJob("x"); j.Target.Installation = 0; return j }(), "no App installation"},
		"no repository":   {func() *Job { j := labelJob([]string{"a"}, nil); j.Target.Repo = ""; return j }(), "no repository"},
		"no number":       {func() *Job { j := commentJob("x"); j.Target.Number = 0; return j }(), "no issue or pull request"},
		"no SHA":          {func() *Job { j := statusJob(StatusJob{State: "success"}); j.Target.SHA = ""; return j }(), "no commit SHA"},
		"bad state":       {statusJob(StatusJob{State: "done"}), `"done" is not`},
		"empty comment":   {commentJob("  \n"), "comment is empty"},
		"no fields":       {&Job{Kind: "label", Target: ghTarget()}, "no label fields"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, e.set, context.Background(), tc.job)
			wantOutcome(t, err, PermanentFailure)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("%d requests reached GitHub, want none", n)
	}
}

func TestLabelRunner(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	e.fake.SetLabels(ghOwner, ghRepo, ghNumber, []string{"bug", "ci-passed", "needs review", "area/ci"})
	job := labelJob([]string{"ci-queued", "bug"}, []string{"ci-passed", "not-there", "needs review", "area/ci"})

	res, err := run(t, e.set, context.Background(), job)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"bug", "ci-queued"}
	if got := e.fake.Labels(ghOwner, ghRepo, ghNumber); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("labels = %q, want %q", got, want)
	}
	if !strings.Contains(res.Message, "not-there") {
		t.Errorf("message %q does not name the label that was not there", res.Message)
	}
	// Every name reached GitHub as one path segment.
	for _, name := range []string{"ci-passed", "not-there", "needs review", "area/ci"} {
		if n := e.fake.Count("DELETE /repos/acme/widgets/issues/12/labels/" + name); n != 1 {
			t.Errorf("DELETE of %q seen %d times, want 1", name, n)
		}
	}

	// A retry of the whole action is harmless.
	if _, err := run(t, e.set, context.Background(), job); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if got := e.fake.Labels(ghOwner, ghRepo, ghNumber); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("labels after a second run = %q, want %q", got, want)
	}
}

// A label named "." or ".." cannot be one path segment: refused before any
// request, so nothing is half done.
func TestLabelDotNamesRefused(t *testing.T) {
	for _, name := range []string{".", ".."} {
		e := newGHEnv(t, nil, Deps{})
		_, err := run(t, e.set, context.Background(), labelJob([]string{"ci-queued"}, []string{"bug", name}))
		wantOutcome(t, err, PermanentFailure)
		if !strings.Contains(err.Error(), "cannot be removed by name") {
			t.Errorf("%q: error %q", name, err)
		}
		if n := len(e.fake.Requests()); n != 0 {
			t.Errorf("%q: %d requests to GitHub, want none", name, n)
		}
	}
}

// Only GitHub's "Label does not exist" counts as already removed; any other
// 404 (no such issue, a repository the App cannot see) is a failure.
func TestLabelRemoveOtherNotFoundFails(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	e.fake.Fail("DELETE /repos/acme/widgets/issues/12/labels/ci-passed", 1, 404, "Not Found")
	_, err := run(t, e.set, context.Background(), labelJob(nil, []string{"ci-passed"}))
	wantOutcome(t, err, PermanentFailure)
	if !strings.Contains(err.Error(), `remove label "ci-passed" from acme/widgets#12`) || !strings.Contains(err.Error(), "Not Found") {
		t.Errorf("error %q does not say which removal failed and GitHub's message", err)
	}
}

// GitHub's error answers map onto Classify's outcomes, with GitHub's own
// message kept, and rate limits retried after the time GitHub states.
func TestGitHubErrors(t *testing.T) {
	reset := time.Unix(time.Now().Add(time.Hour).Unix(), 0) // X-RateLimit-Reset has whole seconds
	now := reset.Add(-90 * time.Second)
	post := "POST " + statusesPath
	tests := map[string]struct {
		arm      func(*fakegithub.Server)
		want     Outcome
		after    time.Duration
		contains string
	}{
		"404 is permanent": {
			arm:  func(s *fakegithub.Server) { s.Fail(post, 1, 404, "Not Found") },
			want: PermanentFailure, contains: "HTTP 404 Not Found: set status",
		},
		"422 is permanent with GitHub's message": {
			arm:  func(s *fakegithub.Server) { s.Fail(post, 1, 422, "No commit found for SHA: "+ghSHA) },
			want: PermanentFailure, contains: "No commit found for SHA",
		},
		"403 without a rate limit is permanent": {
			arm:  func(s *fakegithub.Server) { s.Fail(post, 1, 403, "Resource not accessible by integration") },
			want: PermanentFailure, contains: "Resource not accessible by integration",
		},
		"500 is retried": {
			arm:  func(s *fakegithub.Server) { s.Fail(post, 1, 500, "Server Error") },
			want: Retry, contains: "HTTP 500",
		},
		"502 is retried": {
			arm:  func(s *fakegithub.Server) { s.Fail(post, 1, 502, "Server Error") },
			want: Retry, contains: "HTTP 502",
		},
		"primary rate limit 403 waits for the reset": {
			arm:  func(s *fakegithub.Server) { s.RateLimit(post, 1, 403, reset) },
			want: Retry, after: 90 * time.Second, contains: "API rate limit exceeded",
		},
		"primary rate limit 429 waits for the reset": {
			arm:  func(s *fakegithub.Server) { s.RateLimit(post, 1, 429, reset) },
			want: Retry, after: 90 * time.Second, contains: "rate limited",
		},
		"secondary rate limit with Retry-After": {
			arm:  func(s *fakegithub.Server) { s.SecondaryRateLimit(post, 1, 403, 45*time.Second) },
			want: Retry, after: 45 * time.Second, contains: "secondary rate limit",
		},
		"secondary rate limit 429 with Retry-After": {
			arm:  func(s *fakegithub.Server) { s.SecondaryRateLimit(post, 1, 429, 20*time.Second) },
			want: Retry, after: 20 * time.Second, contains: "secondary rate limit",
		},
		"secondary rate limit without a time waits a minute": {
			arm:  func(s *fakegithub.Server) { s.SecondaryRateLimit(post, 1, 403, 0) },
			want: Retry, after: time.Minute, contains: "secondary rate limit",
		},
		"token exchange refused": {
			arm:  func(s *fakegithub.Server) { s.Fail("POST /app/installations/77/access_tokens", 1, 404, "Not Found") },
			want: PermanentFailure, contains: "HTTP 404",
		},
	}
	e := newGHEnv(t, nil, Deps{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			set := e.newSet(t, Deps{Now: func() time.Time { return now }})
			tc.arm(e.fake)
			_, err := run(t, set, context.Background(), statusJob(StatusJob{Context: "ci", State: "success"}))
			v := wantOutcome(t, err, tc.want)
			if v.After != tc.after {
				t.Errorf("After = %v, want %v", v.After, tc.after)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
			assertNoCredential(t, err.Error(), e)
		})
	}
}

func TestGitHubUnreachableIsRetried(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	e.fake.Close()
	_, err := run(t, e.set, context.Background(), statusJob(StatusJob{Context: "ci", State: "success"}))
	wantOutcome(t, err, Retry)
	var he *HTTPError
	if errors.As(err, &he) {
		t.Fatalf("no answer came, yet the error is an HTTP answer: %v", err)
	}
}

// A rate-limited call is not repeated before the reset: further attempts
// made at once are refused by the client itself, with the wait left, and
// GitHub sees exactly one request (the fake refuses only the first: a
// second request would have posted the comment).
func TestGitHubRateLimitIsNotHammered(t *testing.T) {
	reset := time.Unix(time.Now().Add(time.Hour).Unix(), 0)
	now := reset.Add(-30 * time.Minute)
	tests := map[string]struct {
		arm   func(*fakegithub.Server)
		after time.Duration
	}{
		"primary": {
			arm:   func(s *fakegithub.Server) { s.RateLimit("POST "+commentsPath, 1, 403, reset) },
			after: 30 * time.Minute,
		},
		"secondary": {
			arm:   func(s *fakegithub.Server) { s.SecondaryRateLimit("POST "+commentsPath, 1, 403, 10*time.Minute) },
			after: 10 * time.Minute,
		},
	}
	e := newGHEnv(t, nil, Deps{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			set := e.newSet(t, Deps{Now: func() time.Time { return now }})
			tc.arm(e.fake)
			before := e.fake.Count("POST " + commentsPath)
			for attempt := 1; attempt <= 3; attempt++ {
				_, err := run(t, set, context.Background(), commentJob("hi"))
				v := wantOutcome(t, err, Retry)
				if v.MayHaveActed {
					t.Errorf("attempt %d: a rate limit is a refusal, yet MayHaveActed", attempt)
				}
				if attempt == 1 && v.After != tc.after {
					t.Errorf("After = %v, want the stated %v", v.After, tc.after)
				}
				// go-github counts the secondary wait from its own clock.
				if v.After <= 0 || v.After > tc.after {
					t.Errorf("attempt %d: After = %v, want up to %v", attempt, v.After, tc.after)
				}
			}
			if n := e.fake.Count("POST "+commentsPath) - before; n != 1 {
				t.Fatalf("GitHub saw %d posts before the reset, want exactly 1", n)
			}
			if n := len(e.fake.Comments(ghOwner, ghRepo, ghNumber)); n != 0 {
				t.Fatalf("%d comments, want none", n)
			}
		})
	}
}

// assertNoCredential fails when s holds the App's key, a JWT or a token.
func assertNoCredential(t *testing.T, s string, e *ghEnv) {
	t.Helper()
	for _, line := range strings.Split(string(e.key.PEM), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(s, line[:16]) {
			t.Errorf("private key material in %q", s)
		}
	}
	bad := []string{"eyJ"}
	for _, x := range e.fake.TokenExchanges() {
		bad = append(bad, x.Token)
	}
	wantNoSecret(t, "text", s, bad...)
}
