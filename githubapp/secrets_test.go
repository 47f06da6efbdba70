package githubapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

// TestNoSecretInErrorsOrLogs runs successful and failing calls, including a
// JWT signed with the wrong key, and greps every error and the debug log for
// the private key, JWTs and installation tokens.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	var errs []error
	record := func(err error) {
		if err == nil {
			t.Fatal("call succeeded; want an error")
		}
		errs = append(errs, err)
	}

	files := make([]fakegithub.File, githubapp.MaxPullRequestFiles)
	for i := range files {
		files[i] = fakegithub.File{Filename: "a"}
	}
	e.gh.SetPullRequestFiles("acme", "widgets", 2, files)
	if _, _, err := e.c.PullRequestFiles(ctx, 5, "acme", "widgets", 2); err != nil {
		t.Fatal(err)
	}
	gc, err := e.c.Installation(5)
	if err != nil {
		t.Fatal(err)
	}
	record(createStatus(e, "green"))
	e.gh.Fail("/repos/acme/widgets/issues/1/comments", 1, 500, "Server Error")
	_, _, err = gc.Issues.CreateComment(ctx, "acme", "widgets", 1, &github.IssueComment{Body: github.String("x")})
	record(err)
	e.gh.SecondaryRateLimit("/repos/acme/widgets/issues/1/labels", 1, 429, time.Second)
	_, _, err = gc.Issues.AddLabelsToIssue(ctx, "acme", "widgets", 1, []string{"ci"})
	record(err)
	e.gh.Delay("/repos/acme/widgets/issues/1/comments", 1, 0)
	short, cancel := context.WithCancel(ctx)
	waitCtx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	go func() {
		// Give up once the comment has reached GitHub, as a timeout would.
		_ = e.gh.Wait(waitCtx, func() bool { return len(e.gh.Comments("acme", "widgets", 1)) > 0 })
		cancel()
	}()
	_, _, err = gc.Issues.CreateComment(short, "acme", "widgets", 1, &github.IssueComment{Body: github.String("late")})
	record(err)

	// The same App ID with another key: GitHub refuses the JWT.
	other, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := githubapp.New(githubapp.Options{AppID: appID, PrivateKey: other.PEM, BaseURL: e.gh.URL(), Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	wgc, err := wrong.Installation(5)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = wgc.Issues.CreateComment(ctx, "acme", "widgets", 1, &github.IssueComment{Body: github.String("x")})
	record(err)
	if githubapp.StatusCode(err) != 401 || githubapp.Message(err) != "A JSON web token could not be decoded" {
		t.Errorf("wrong key: status %d message %q, want 401 and GitHub's JWT message", githubapp.StatusCode(err), githubapp.Message(err))
	}
	_, _, err = wrong.HookDeliveries(ctx, "", 10)
	record(err)
	if githubapp.StatusCode(err) != 401 {
		t.Errorf("wrong key on /app: status %d, want 401", githubapp.StatusCode(err))
	}

	secrets := tokens(e.gh)
	if len(secrets) == 0 {
		t.Fatal("no token was issued; the test proves nothing")
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "installation client created") || !strings.Contains(logs, "3,000") {
		t.Fatalf("expected debug and warning lines in the log, got: %s", logs)
	}
	for _, err := range errs {
		assertNoSecret(t, err.Error(), e.key, secrets...)
		assertNoSecret(t, err.Error(), other, secrets...)
		assertNoSecret(t, githubapp.Message(err), e.key, secrets...)
	}
	assertNoSecret(t, logs, e.key, secrets...)
	assertNoSecret(t, logs, other, secrets...)
}
