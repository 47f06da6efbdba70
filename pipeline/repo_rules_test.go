package pipeline_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/reporules"
)

const (
	repoBuild = `rules:
  - name: build
    on: [push]
    do:
      - jenkins: {job: acme/widgets/build, parameters: {GIT_SHA: "{{ .SHA }}"}}
`
	repoDeploy = `rules:
  - name: deploy
    on: [push]
    do:
      - jenkins: {job: acme/widgets/deploy, parameters: {GIT_SHA: "{{ .SHA }}"}}
`
	sha1 = "1111111111111111111111111111111111111111"
	sha2 = "2222222222222222222222222222222222222222"
	sha3 = "3333333333333333333333333333333333333333"
	sha0 = "0000000000000000000000000000000000000001"
)

// A push runs a rule that only the repository's own file defines, and the
// history says it came from the repository, at which blob.
func TestRepoRuleRunsOnPush(t *testing.T) {
	e := newRepoEnv(t)
	e.gh.SetFile(tOwner, tRepo, "", reporules.Path, []byte(repoBuild))
	d := e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, "main.go"))
	if got := jobsOf(d); !slices.Equal(got, []string{"central/log", "repo:build/jenkins"}) {
		t.Fatalf("actions %v, want central/log and repo:build/jenkins", got)
	}
	r := rule(d, "repo:build")
	if r == nil || !r.Matched || len(r.Conditions) == 0 || r.Conditions[0].Condition != "source" {
		t.Fatalf("explanation of repo:build: %+v", r)
	}
	want := reporules.Path + " of acme/widgets at blob " + fakegithub.BlobSHA([]byte(repoBuild))
	if r.Conditions[0].Detail != want {
		t.Errorf("source %q, want %q", r.Conditions[0].Detail, want)
	}
	e.triggered(t, "acme/widgets/build", sha1)
}

// A push to the default branch that edits the file runs the new file's
// rules (read at the pushed commit), not the cached ones, and reports the
// file as valid on that commit.
func TestRepoFileEditedInPushAppliesToThatPush(t *testing.T) {
	e := newRepoEnv(t)
	e.gh.SetFile(tOwner, tRepo, "", reporules.Path, []byte(repoBuild))
	e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, "main.go"))
	// Only the pushed commit has the new file: the branch answer would
	// still be the old one.
	e.gh.SetFile(tOwner, tRepo, sha2, reporules.Path, []byte(repoDeploy))
	d := e.history(t, "push-2", repoPush(tOwner, tRepo, sha2, sha1, reporules.Path))
	if got := jobsOf(d); !slices.Equal(got, []string{"central/log", "repo:deploy/jenkins"}) {
		t.Fatalf("actions %v, want the new file's repo:deploy", got)
	}
	e.triggered(t, "acme/widgets/deploy", sha2)
	runs := e.gh.CheckRuns(tOwner, tRepo, sha2)
	if len(runs) != 1 || runs[0].Name != reporules.CheckName || runs[0].Conclusion != "success" || len(runs[0].Annotations) != 0 {
		t.Fatalf("check runs on the pushed commit: %+v", runs)
	}
	// The next push, not touching the file, keeps the new rules.
	d = e.history(t, "push-3", repoPush(tOwner, tRepo, sha3, sha2, "main.go"))
	if got := jobsOf(d); !slices.Equal(got, []string{"central/log", "repo:deploy/jenkins"}) {
		t.Fatalf("actions %v after the edit, want repo:deploy", got)
	}
}

// A second event uses the cached file without asking GitHub; after the
// revalidation interval a conditional request gets 304 and the file is
// not read again.
func TestRepoFileCached(t *testing.T) {
	e := newRepoEnv(t)
	e.gh.SetFile(tOwner, tRepo, "", reporules.Path, []byte(repoBuild))
	e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, "main.go"))
	if n := e.contentsCalls(tOwner, tRepo, 0); n != 1 {
		t.Fatalf("%d contents calls after the first event, want 1", n)
	}
	d := e.history(t, "push-2", repoPush(tOwner, tRepo, sha2, sha1, "main.go"))
	if n := e.contentsCalls(tOwner, tRepo, 0); n != 1 {
		t.Errorf("%d contents calls after the second event, want still 1", n)
	}
	if got := jobsOf(d); !slices.Contains(got, "repo:build/jenkins") {
		t.Errorf("cached rules did not run: %v", got)
	}
	e.clock.Add(2 * time.Minute)
	d = e.history(t, "push-3", repoPush(tOwner, tRepo, sha3, sha2, "main.go"))
	if n, nm := e.contentsCalls(tOwner, tRepo, 0), e.contentsCalls(tOwner, tRepo, http.StatusNotModified); n != 2 || nm != 1 {
		t.Errorf("%d contents calls, %d of them 304, after revalidating; want 2 and 1", n, nm)
	}
	if got := jobsOf(d); !slices.Contains(got, "repo:build/jenkins") {
		t.Errorf("revalidated rules did not run: %v", got)
	}
	if e.src.Len() != 1 {
		t.Errorf("%d repositories cached, want 1", e.src.Len())
	}
}

// A file breaking the policy is refused with an annotation at the
// offending line on the commit that changed it; the push is still
// processed, with the previous rules, and the history says which blob
// was used and why the newer one was refused.
func TestRepoFileRefused(t *testing.T) {
	const head = `rules:
  - name: build
    on: [push]
    do:
      - jenkins: {job: acme/widgets/newbuild, parameters: {GIT_SHA: "{{ .SHA }}"}}
  - name: bad
    on: [push]
    do:
`
	tests := map[string]struct {
		action string
		key    string
		col    int
		msg    string
	}{
		"http not allowed":     {`      - http: {url: "https://hooks.example.com/x"}`, "rules[1].do[0].http", 9, "action http is not allowed in a repository's file; the policy allows: jenkins, slack, comment, label, status, log"},
		"unlisted connection":  {`      - jenkins: {server: other, job: acme/widgets/x}`, "rules[1].do[0].jenkins.server", 27, `jenkins server "other" is not one a repository may use; repo_rules.jenkins.connections: main`},
		"job outside the glob": {`      - jenkins: {job: acme/gadgets/build}`, "rules[1].do[0].jenkins.job", 24, `job "acme/gadgets/build" is outside what the policy allows this repository: acme/widgets/**`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newRepoEnv(t)
			e.gh.SetFile(tOwner, tRepo, "", reporules.Path, []byte(repoBuild))
			e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, "main.go"))
			bad := head + tc.action + "\n"
			e.gh.SetFile(tOwner, tRepo, sha2, reporules.Path, []byte(bad))
			d := e.history(t, "push-2", repoPush(tOwner, tRepo, sha2, sha1, reporules.Path))
			if got := jobsOf(d); !slices.Equal(got, []string{"central/log", "repo:build/jenkins"}) {
				t.Fatalf("actions %v, want the previous rules' repo:build", got)
			}
			e.triggered(t, "acme/widgets/build", sha2)
			if n := e.triggersOf("acme/widgets/newbuild", sha2); n != 0 {
				t.Errorf("the refused file's rule ran")
			}
			r := rule(d, "repo:build")
			wantSrc := "at blob " + fakegithub.BlobSHA([]byte(repoBuild)) + "; newer blob " + fakegithub.BlobSHA([]byte(bad)) + " refused: .github/switchboard.yml:9:"
			if r == nil || !strings.Contains(r.Conditions[0].Detail, wantSrc) {
				t.Errorf("history source does not say %q: %+v", wantSrc, r)
			}
			runs := e.gh.CheckRuns(tOwner, tRepo, sha2)
			if len(runs) != 1 || runs[0].Name != reporules.CheckName || runs[0].Conclusion != "failure" {
				t.Fatalf("check runs on the pushed commit: %+v", runs)
			}
			want := fakegithub.Annotation{Path: reporules.Path, StartLine: 9, EndLine: 9, StartColumn: tc.col, EndColumn: tc.col,
				AnnotationLevel: "failure", Message: tc.key + ": " + tc.msg, Title: "switchboard: " + tc.key}
			if a := runs[0].Annotations; len(a) != 1 || a[0] != want {
				t.Errorf("annotations %+v\nwant [%+v]", a, want)
			}
		})
	}
}

// ${VAR} in a repository's file is never expanded: the file is refused
// (annotated where it stands), so nothing renders, and the server's secret
// reaches no action, history or log (the env's cleanup checks the log).
func TestRepoFileCannotReadTheEnvironment(t *testing.T) {
	const leak = `rules:
  - name: leak
    on: [push]
    do:
      - jenkins: {job: acme/widgets/build, parameters: {GIT_SHA: "{{ .SHA }}", S: "${GITHUB_WEBHOOK_SECRET}"}}
      - log: {message: "secret is ${GITHUB_WEBHOOK_SECRET}"}
`
	e := newRepoEnv(t)
	e.gh.SetFile(tOwner, tRepo, sha1, reporules.Path, []byte(leak))
	d := e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, reporules.Path))
	if got := jobsOf(d); !slices.Equal(got, []string{"central/log"}) {
		t.Fatalf("actions %v, want only the central rule's", got)
	}
	for _, a := range d.ActionList {
		if strings.Contains(string(a.Params), webhookSecret) {
			t.Errorf("action params hold the secret: %s", a.Params)
		}
	}
	r := rule(d, reporules.Prefix+reporules.Path)
	if r == nil || r.Matched || !strings.Contains(r.Conditions[0].Detail, "cannot use ${VAR}") ||
		!strings.Contains(r.Conditions[0].Detail, "no rules from the repository apply") {
		t.Errorf("history does not say the file was refused: %+v", r)
	}
	runs := e.gh.CheckRuns(tOwner, tRepo, sha1)
	if len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) != 2 ||
		runs[0].Annotations[0].StartLine != 5 || runs[0].Annotations[1].StartLine != 6 {
		t.Fatalf("check run: %+v", runs)
	}
	if len(e.jk.Triggers()) != 0 {
		t.Errorf("Jenkins was triggered: %+v", e.jk.Triggers())
	}
}

// A repository without a file takes its organisation's .github
// repository's.
func TestRepoRulesOrgFallback(t *testing.T) {
	const org = `rules:
  - name: org-build
    on: [push]
    do:
      - jenkins: {job: "{{ .Repository.FullName }}/org-build", parameters: {GIT_SHA: "{{ .SHA }}"}}
`
	e := newRepoEnv(t)
	e.gh.SetFile(tOwner, reporules.OrgRepo, "", reporules.Path, []byte(org))
	d := e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, "main.go"))
	if got := jobsOf(d); !slices.Equal(got, []string{"central/log", "repo:org-build/jenkins"}) {
		t.Fatalf("actions %v, want the organisation's repo:org-build", got)
	}
	if r := rule(d, "repo:org-build"); r == nil || !strings.Contains(r.Conditions[0].Detail, "of acme/.github at blob") {
		t.Errorf("history does not name the organisation's file: %+v", r)
	}
	e.triggered(t, "acme/widgets/org-build", sha1)
	if n := e.contentsCalls(tOwner, tRepo, http.StatusNotFound); n != 1 {
		t.Errorf("%d 404s for the repository's own file, want 1", n)
	}
}

// One repository's rules never run for another repository's events.
func TestRepoRulesStayInTheirRepository(t *testing.T) {
	e := newRepoEnv(t)
	e.gh.SetFile(tOwner, tRepo, "", reporules.Path, []byte(repoBuild))
	e.history(t, "push-1", repoPush(tOwner, tRepo, sha1, sha0, "main.go"))
	d := e.history(t, "push-2", repoPush(tOwner, "gadgets", sha2, sha0, "main.go"))
	if got := jobsOf(d); !slices.Equal(got, []string{"central/log"}) {
		t.Fatalf("actions of acme/gadgets %v, want only the central rule's", got)
	}
	for _, r := range d.Rules {
		if strings.HasPrefix(r.Name, reporules.Prefix) {
			t.Errorf("acme/gadgets was explained by a repository rule: %+v", r)
		}
	}
	if e.src.Len() != 2 {
		t.Errorf("%d repositories cached, want 2", e.src.Len())
	}
}
