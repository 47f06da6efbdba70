package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestCreateStatus(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "3")
	u := f.s.URL() + "repos/Acme/Widgets/statuses/abc123"
	tests := map[string]struct {
		body   any
		status int
		field  string // of the 422 error
	}{
		"full":             {body: map[string]string{"state": "pending", "context": "jenkins/app", "target_url": "https://ci/1", "description": "queued"}, status: 201},
		"default context":  {body: map[string]string{"state": "success"}, status: 201},
		"bad state":        {body: map[string]string{"state": "green"}, status: 422, field: "state"},
		"long description": {body: map[string]string{"state": "error", "description": strings.Repeat("x", 141)}, status: 422, field: "description"},
		"not json":         {body: "{", status: 400},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, b := do(t, "POST", u, auth, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.field != "" {
				e := ghError(t, b)
				if e.Message != "Validation Failed" || len(e.Errors) != 1 || e.Errors[0].Field != tc.field {
					t.Errorf("422 body %s", b)
				}
			}
		})
	}
	got := f.s.Statuses("acme", "widgets", "abc123")
	want := []Status{
		{State: "pending", Context: "jenkins/app", TargetURL: "https://ci/1", Description: "queued"},
		{State: "success", Context: "default"},
	}
	if len(got) != len(want) {
		t.Fatalf("statuses %+v", got)
	}
	// Subtests ran in map order: compare in state order.
	slices.SortFunc(got, func(a, b Status) int { return strings.Compare(a.State, b.State) })
	for i, w := range want {
		g := got[i]
		if g.State != w.State || g.Context != w.Context || g.TargetURL != w.TargetURL || g.Description != w.Description || g.Installation != 3 {
			t.Errorf("status %d = %+v, want %+v by installation 3", i, g, w)
		}
	}
}

func TestCommentsPageAndValidate(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "3")
	for i := range 35 {
		f.s.AddComment("acme", "widgets", 4, "octocat", fmt.Sprintf("c%d", i))
	}
	u := f.s.URL() + "repos/acme/widgets/issues/4/comments"
	resp, b := do(t, "GET", u, auth, nil)
	first := decodeComments(t, b)
	if len(first) != 30 || first[0] != "c0" {
		t.Fatalf("page 1 has %d comments starting %v", len(first), first[:1])
	}
	links := parseLinks(t, resp.Header.Get("Link"))
	if links["next"].Get("page") != "2" || links["last"].Get("page") != "2" || links["next"].Get("per_page") != "30" {
		t.Fatalf("Link %q", resp.Header.Get("Link"))
	}
	resp, b = do(t, "GET", u+"?page=2", auth, nil)
	if second := decodeComments(t, b); len(second) != 5 || second[4] != "c34" {
		t.Fatalf("page 2 = %v", second)
	}
	if links := parseLinks(t, resp.Header.Get("Link")); links["prev"].Get("page") != "1" || links["next"] != nil {
		t.Fatalf("page 2 Link %q", resp.Header.Get("Link"))
	}

	resp, b = do(t, "POST", u, auth, map[string]string{})
	if resp.StatusCode != 422 || !strings.Contains(ghError(t, b).Message, `"body" wasn't supplied`) {
		t.Errorf("missing body: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", u, auth, map[string]string{"body": "Build queued"})
	var c struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
	}
	if err := json.Unmarshal(b, &c); err != nil || resp.StatusCode != 201 || c.User.Login != "switchboard[bot]" || c.User.Type != "Bot" {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	all := f.s.Comments("acme", "widgets", 4)
	if len(all) != 36 || all[35].ID != c.ID || all[35].Body != "Build queued" || all[35].Installation != 3 {
		t.Errorf("last comment %+v", all[len(all)-1])
	}
}

func decodeComments(t *testing.T, b []byte) []string {
	t.Helper()
	var cs []struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Body)
	}
	return out
}

// parseLinks reads a Link header into rel -> query of its URL.
func parseLinks(t *testing.T, h string) map[string]url.Values {
	t.Helper()
	out := map[string]url.Values{}
	if h == "" {
		return out
	}
	for _, part := range strings.Split(h, ",") {
		target, rel, ok := strings.Cut(strings.TrimSpace(part), "; ")
		if !ok || !strings.HasPrefix(target, "<http://") {
			t.Fatalf("bad link %q", part)
		}
		u, err := url.Parse(strings.Trim(target, "<>"))
		if err != nil {
			t.Fatal(err)
		}
		out[strings.Trim(strings.TrimPrefix(rel, "rel="), `"`)] = u.Query()
	}
	return out
}

func TestLabels(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "3")
	u := f.s.URL() + "repos/acme/widgets/issues/9/labels"
	names := func(b []byte) []string {
		var ls []struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(b, &ls); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		var out []string
		for _, l := range ls {
			out = append(out, l.Name)
		}
		return out
	}
	steps := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		want   []string
	}{
		{"bare array", "POST", "", []string{"ci-queued", "needs review"}, 200, []string{"ci-queued", "needs review"}},
		{"wrapped names", "POST", "", map[string]any{"labels": []string{"area/ci", "CI-QUEUED"}}, 200, []string{"area/ci", "ci-queued", "needs review"}},
		{"wrapped objects", "POST", "", map[string]any{"labels": []map[string]string{{"name": "bug"}}}, 200, []string{"area/ci", "bug", "ci-queued", "needs review"}},
		{"remove escaped", "DELETE", "/" + url.PathEscape("needs review"), nil, 200, []string{"area/ci", "bug", "ci-queued"}},
		{"remove slash", "DELETE", "/" + url.PathEscape("area/ci"), nil, 200, []string{"bug", "ci-queued"}},
		{"remove other case", "DELETE", "/BUG", nil, 200, []string{"ci-queued"}},
		{"remove absent", "DELETE", "/ci-passed", nil, 404, nil},
	}
	for _, st := range steps {
		resp, b := do(t, st.method, u+st.path, auth, st.body)
		if resp.StatusCode != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, resp.StatusCode, st.status, b)
		}
		if st.status == 404 {
			if ghError(t, b).Message != "Label does not exist" {
				t.Errorf("%s: %s", st.name, b)
			}
			continue
		}
		if got := names(b); !slices.Equal(got, st.want) {
			t.Errorf("%s: labels %v, want %v", st.name, got, st.want)
		}
	}
	if got := f.s.Labels("acme", "widgets", 9); !slices.Equal(got, []string{"ci-queued"}) {
		t.Errorf("Labels = %v", got)
	}
}

func TestPullRequestFilesCappedAt3000(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "3")
	files := make([]File, 3100)
	for i := range files {
		files[i] = File{Filename: fmt.Sprintf("f%d", i)}
	}
	files[0] = File{Filename: "new.go", Status: "renamed", PreviousFilename: "old.go"}
	f.s.SetPullRequestFiles("acme", "widgets", 5, files)
	u := f.s.URL() + "repos/acme/widgets/pulls/5/files?per_page=100"
	type file struct {
		Filename         string `json:"filename"`
		Status           string `json:"status"`
		PreviousFilename string `json:"previous_filename"`
	}
	get := func(page int) ([]file, map[string]url.Values) {
		resp, b := do(t, "GET", fmt.Sprintf("%s&page=%d", u, page), auth, nil)
		var fs []file
		if err := json.Unmarshal(b, &fs); err != nil || resp.StatusCode != 200 {
			t.Fatalf("page %d: %d %s", page, resp.StatusCode, b)
		}
		return fs, parseLinks(t, resp.Header.Get("Link"))
	}
	fs, links := get(1)
	if len(fs) != 100 || fs[0] != (file{"new.go", "renamed", "old.go"}) || fs[1].Status != "modified" {
		t.Fatalf("page 1: %d files, first %+v %+v", len(fs), fs[0], fs[1])
	}
	if links["last"].Get("page") != "30" {
		t.Errorf("last page %v, want 30 (3,000 files)", links["last"])
	}
	fs, links = get(30)
	if len(fs) != 100 || fs[99].Filename != "f2999" || links["next"] != nil {
		t.Errorf("page 30: %d files ending %q, next %v", len(fs), fs[len(fs)-1].Filename, links["next"])
	}
	if fs, _ = get(31); len(fs) != 0 {
		t.Errorf("page 31 lists %d files, want none", len(fs))
	}
	resp, _ := do(t, "GET", f.s.URL()+"repos/acme/widgets/pulls/x/files", auth, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bad number: %d", resp.StatusCode)
	}
}
