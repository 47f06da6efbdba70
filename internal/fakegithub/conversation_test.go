package fakegithub

import (
	"net/http"
	"strings"
	"testing"
)

// Every call of the conversation answers as GitHub documents, and request
// bodies are checked against the fields the docs list.
func TestConversationEndpoints(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "5")
	base := f.s.URL() + "repos/acme/widgets/"
	f.s.SetPullRequest("acme", "widgets", PullRequest{Number: 3, HeadSHA: "abc123", Head: "feature", Base: "main", Author: "octocat"})
	f.s.SetTeamMembers("acme/ci", "octocat")
	okRun := map[string]any{"name": "jenkins/a", "head_sha": "abc123", "external_id": "switchboard:d:0:r", "status": "queued",
		"output": map[string]any{"title": "Build queued", "summary": "Build queued"}}

	tests := map[string]struct {
		method, path string
		auth         string
		body         any
		status       int
		message      string // the error message, or a fragment of the body
	}{
		"create check run":             {"POST", base + "check-runs", auth, okRun, http.StatusCreated, `"status":"queued"`},
		"unknown key":                  {"POST", base + "check-runs", auth, map[string]any{"name": "a", "head_sha": "x", "bogus": 1}, 422, "Invalid request.\n\n\"bogus\" is not a permitted key."},
		"name missing":                 {"POST", base + "check-runs", auth, map[string]any{"head_sha": "x"}, 422, "Invalid request.\n\n\"name\" wasn't supplied."},
		"status not in the list":       {"POST", base + "check-runs", auth, map[string]any{"name": "a", "head_sha": "x", "status": "done"}, 422, `For 'properties/status', "done" is not one of`},
		"summary missing in output":    {"POST", base + "check-runs", auth, map[string]any{"name": "a", "head_sha": "x", "output": map[string]any{"title": "t"}}, 422, "\"summary\" wasn't supplied."},
		"summary too long":             {"POST", base + "check-runs", auth, map[string]any{"name": "a", "head_sha": "x", "output": map[string]any{"title": "t", "summary": strings.Repeat("s", 65536)}}, 422, "is too long (maximum is 65535 characters)"},
		"name not a string":            {"POST", base + "check-runs", auth, map[string]any{"name": 5, "head_sha": "x"}, 422, "For 'properties/name', 5 is not a string."},
		"completed without conclusion": {"POST", base + "check-runs", auth, map[string]any{"name": "a", "head_sha": "x", "status": "completed"}, 422, "Validation Failed"},
		"not JSON":                     {"POST", base + "check-runs", auth, "{", 400, "Problems parsing JSON"},
		"no token":                     {"POST", base + "check-runs", "", okRun, 401, "Bad credentials"},
		"update unknown run":           {"PATCH", base + "check-runs/999", auth, map[string]any{"status": "in_progress"}, 404, "Not Found"},
		"update with head_sha":         {"PATCH", base + "check-runs/1", auth, map[string]any{"head_sha": "x"}, 422, "\"head_sha\" is not a permitted key."},
		"reaction":                     {"POST", base + "issues/comments/77/reactions", auth, map[string]any{"content": "eyes"}, 201, `"content":"eyes"`},
		"reaction not in the list":     {"POST", base + "issues/comments/77/reactions", auth, map[string]any{"content": "thumbsup"}, 422, `"thumbsup" is not one of`},
		"pull request":                 {"GET", base + "pulls/3", auth, nil, 200, `"sha":"abc123"`},
		"unknown pull request":         {"GET", base + "pulls/4", auth, nil, 404, "Not Found"},
		"comment without body":         {"POST", base + "issues/3/comments", auth, map[string]any{}, 422, "\"body\" wasn't supplied."},
		"comment with extra key":       {"POST", base + "issues/3/comments", auth, map[string]any{"body": "x", "title": "y"}, 422, "\"title\" is not a permitted key."},
		"status with bad key":          {"POST", base + "statuses/abc123", auth, map[string]any{"state": "success", "color": "green"}, 422, "\"color\" is not a permitted key."},
		"team member":                  {"GET", f.s.URL() + "orgs/acme/teams/ci/memberships/octocat", auth, nil, 200, `"state":"active"`},
		"not a team member":            {"GET", f.s.URL() + "orgs/acme/teams/ci/memberships/mallory", auth, nil, 404, "Not Found"},
		"app":                          {"GET", f.s.URL() + "app", "Bearer " + f.appJWT(t), nil, 200, `"slug":"switchboard"`},
		"app with a token":             {"GET", f.s.URL() + "app", auth, nil, 401, ""},
		"combined status":              {"GET", base + "commits/abc123/status", auth, nil, 200, `"total_count":0`},
		"check runs of a ref":          {"GET", base + "commits/abc123/check-runs?filter=sometimes", auth, nil, 422, "Validation Failed"},
	}
	for _, name := range []string{"create check run"} { // first, so that run 1... exists below
		tc := tests[name]
		resp, body := do(t, tc.method, tc.path, tc.auth, tc.body)
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.message) {
			t.Fatalf("%s: %d %s", name, resp.StatusCode, body)
		}
		delete(tests, name)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := do(t, tc.method, tc.path, tc.auth, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status >= 400 && tc.message != "" {
				if e := ghError(t, body); !strings.Contains(e.Message, tc.message) {
					t.Errorf("message %q, want it to contain %q", e.Message, tc.message)
				}
			} else if !strings.Contains(string(body), tc.message) {
				t.Errorf("body %s lacks %s", body, tc.message)
			}
		})
	}
	if n := len(f.s.SchemaViolations()); n < 9 {
		t.Errorf("%d schema violations recorded, want every 422 of the schema check", n)
	}
}

// A check run moves queued -> in_progress -> completed, a conclusion
// completes it, and the same reaction twice answers 200 the second time.
func TestCheckRunAndReactionState(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "5")
	base := f.s.URL() + "repos/acme/widgets/"
	resp, body := do(t, "POST", base+"check-runs", auth, map[string]any{"name": "a", "head_sha": "abc"})
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	id := f.s.CheckRuns("acme", "widgets", "abc")[0].ID
	path := base + "check-runs/" + itoa(id)
	do(t, "PATCH", path, auth, map[string]any{"status": "in_progress", "details_url": "https://ci/1/"})
	do(t, "PATCH", path, auth, map[string]any{"conclusion": "failure", "output": map[string]any{"title": "t", "summary": "s"}})
	resp, body = do(t, "PATCH", path, auth, map[string]any{"status": "queued"})
	if resp.StatusCode != 422 {
		t.Errorf("completed run sent back to queued: %d %s", resp.StatusCode, body)
	}
	cr := f.s.CheckRuns("acme", "widgets", "abc")[0]
	if strings.Join(cr.History, ",") != "queued,in_progress,completed/failure" || cr.DetailsURL != "https://ci/1/" || cr.Summary != "s" {
		t.Errorf("run %+v", cr)
	}
	for i, want := range []int{201, 200} {
		if resp, _ := do(t, "POST", base+"issues/comments/9/reactions", auth, map[string]any{"content": "+1"}); resp.StatusCode != want {
			t.Errorf("reaction %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
