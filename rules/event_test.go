package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readPayload reads testdata/webhooks/<name>.
func readPayload(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// loadEvent builds the event of testdata/webhooks/<name>; the event name is
// the file name's first part.
func loadEvent(t testing.TB, name string) *Event {
	t.Helper()
	event, _, _ := strings.Cut(name, ".")
	ev, err := NewEvent(event, "delivery-1", readPayload(t, name))
	if err != nil {
		t.Fatalf("NewEvent(%s): %v", name, err)
	}
	return ev
}

func TestNewEventFromExamples(t *testing.T) {
	helloWorld := Repository{FullName: "Codertocat/Hello-World", Owner: "Codertocat", Name: "Hello-World", HTMLURL: "https://github.com/Codertocat/Hello-World", DefaultBranch: "master"}
	prView := &PullRequest{Number: 2, Title: "Update the README with new information.", HTMLURL: "https://github.com/Codertocat/Hello-World/pull/2", Base: "master", Head: "changes", Labels: []string{"bug"}, Author: "Codertocat"}
	issueView := &Issue{Number: 1, Title: "Spelling error in the README file", HTMLURL: "https://github.com/Codertocat/Hello-World/issues/1", Labels: []string{"bug"}, Author: "Codertocat"}
	draftView := *prView
	draftView.Draft = true
	tests := map[string]struct {
		file string
		want Event // Payload and Delivery are not compared
	}{
		"push of a branch": {"push.branch.json", Event{
			Event: "push", Installation: 1, Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Ref: "refs/heads/master", Branch: "master",
			SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", ShortSHA: "6113728",
			Commits: []Commit{{
				ID: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Message: "Initial commit", Author: "Codertocat",
				URL:   "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246",
				Added: []string{"README.md"}, Removed: []string{}, Modified: []string{},
			}},
		}},
		"push of a tag": {"push.tag.json", Event{
			Event: "push", Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Ref: "refs/tags/simple-tag", Tag: "simple-tag",
			SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", ShortSHA: "6113728",
		}},
		"branch deleted": {"push.branch-delete.json", Event{
			Event: "push", Installation: 1, Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Ref: "refs/heads/changes", Branch: "changes",
			SHA: "0000000000000000000000000000000000000000", ShortSHA: "0000000",
		}},
		"pull request opened": {"pull_request.opened.json", Event{
			Event: "pull_request", Action: "opened", Installation: 1, Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Branch: "changes", SHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", ShortSHA: "ec26c3e",
			PullRequest: prView,
		}},
		"draft pull request": {"pull_request.converted_to_draft.json", Event{
			Event: "pull_request", Action: "converted_to_draft", Installation: 1, Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Branch: "changes", SHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", ShortSHA: "ec26c3e",
			PullRequest: &draftView,
		}},
		"issue opened": {"issues.opened.json", Event{
			Event: "issues", Action: "opened", Repository: helloWorld, Sender: "Codertocat", SenderType: "User", Issue: issueView,
		}},
		"comment on an issue": {"issue_comment.created.json", Event{
			Event: "issue_comment", Action: "created", Installation: 1, Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Issue:   issueView,
			Comment: &Comment{Body: "You are totally right! I'll get this fixed right away.", Author: "Codertocat"},
		}},
		"comment on a pull request": {"issue_comment.created-pr.json", Event{
			Event: "issue_comment", Action: "created", Installation: 1, Repository: helloWorld, Sender: "Codertocat", SenderType: "User",
			Issue:       &Issue{Number: 2, Title: "Update the README with new information.", HTMLURL: "https://github.com/Codertocat/Hello-World/pull/2", Labels: []string{"bug"}, Author: "Codertocat"},
			PullRequest: &PullRequest{Number: 2, Title: "Update the README with new information.", HTMLURL: "https://github.com/Codertocat/Hello-World/pull/2", Labels: []string{"bug"}, Author: "Codertocat"},
			Comment:     &Comment{Body: "You are totally right! I'll get this fixed right away.", Author: "Codertocat"},
		}},
		"ping": {"ping.repository.json", Event{
			Event: "ping", Sender: "Codertocat", SenderType: "User",
			Repository: Repository{FullName: "Octocoders/Hello-World", Owner: "Octocoders", Name: "Hello-World", HTMLURL: "https://github.com/Octocoders/Hello-World", DefaultBranch: "master"},
		}},
		"installation created": {"installation.created.json", Event{
			Event: "installation", Action: "created", Installation: 957387, Sender: "Codertocat", SenderType: "User",
		}},
		"repositories added": {"installation_repositories.added.json", Event{
			Event: "installation_repositories", Action: "added", Installation: 957387, Sender: "Codertocat", SenderType: "User",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev := loadEvent(t, tc.file)
			if ev.Payload() == nil {
				t.Fatal("Payload is nil")
			}
			if ev.Delivery != "delivery-1" {
				t.Errorf("Delivery = %q", ev.Delivery)
			}
			got := *ev
			if got.Source != "github" {
				t.Errorf("Source = %q, want github", got.Source)
			}
			got.raw, got.Delivery, got.Source = nil, "", ""
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("event view differs\n got: %+v\nwant: %+v", got, tc.want)
				if got.PullRequest != nil && tc.want.PullRequest != nil {
					t.Errorf("pull request\n got: %+v\nwant: %+v", *got.PullRequest, *tc.want.PullRequest)
				}
			}
		})
	}
}

func TestNewEventPayloadNumbers(t *testing.T) {
	ev, err := NewEvent("pull_request", "d", []byte(`{"action":"opened","number":2,"pull_request":{"number":2,"id":191568743,"additions":1,"ratio":0.5,"huge":1e300,"big":123456789012345678901234567890,"beyond":1e400}}`))
	if err != nil {
		t.Fatal(err)
	}
	pr := ev.Payload()["pull_request"].(map[string]any)
	tests := map[string]struct {
		key  string
		want any
	}{
		"whole number is int64":             {"id", int64(191568743)},
		"small whole number is int64":       {"additions", int64(1)},
		"fraction is float64":               {"ratio", 0.5},
		"whole float beyond int64 is float": {"huge", 1e300},
		"integer beyond int64 is float":     {"big", 1.2345678901234568e+29},
		"beyond float64 is its digits":      {"beyond", "1e400"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := pr[tc.key]; got != tc.want {
				t.Errorf("%s = %#v (%T), want %#v (%T)", tc.key, got, got, tc.want, tc.want)
			}
		})
	}
}

func TestNewEventErrors(t *testing.T) {
	tests := map[string]struct {
		event   string
		payload string
		want    string
	}{
		"not JSON":             {"push", `{"ref": `, "push payload: not valid JSON"},
		"empty":                {"push", ``, "push payload: empty payload"},
		"array":                {"push", `[1,2]`, "push payload: a JSON array, want an object"},
		"string":               {"issues", `"x"`, "issues payload: a JSON string, want an object"},
		"null":                 {"push", `null`, "push payload: a JSON null, want an object"},
		"null, spaced":         {"pull_request", " \n null ", "pull_request payload: a JSON null, want an object"},
		"bad JSON, bad shape":  {"push", `{"ref": 5, "x": nope}`, "push payload: not valid JSON"},
		"trailing data":        {"push", `{} {}`, "data after the top-level value"},
		"wrong shape: ref":     {"push", `{"ref": 5}`, "push payload: json: cannot unmarshal number"},
		"wrong shape: PR":      {"pull_request", `{"pull_request": "x"}`, "pull_request payload: json: cannot unmarshal string"},
		"wrong shape: labels":  {"issues", `{"issue": {"labels": {"name": "bug"}}}`, "issues payload: json: cannot unmarshal object"},
		"no event name":        {"", `{}`, "event name is empty"},
		"unknown but not JSON": {"release", `nope`, "release payload: not valid JSON"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := NewEvent(tc.event, "d", []byte(tc.payload))
			if err == nil {
				t.Fatalf("NewEvent succeeded: %+v", ev)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// The maps of a typed event are built on first use; readers on several
// goroutines (the race detector watches) all get the one decoded payload.
func TestNewEventPayloadOnFirstUse(t *testing.T) {
	ev, err := NewEvent("push", "d", readPayload(t, "push.branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan map[string]any, 4)
	for range 4 {
		go func() { got <- ev.Payload() }()
	}
	first := <-got
	for range 3 {
		if m := <-got; reflect.ValueOf(m).Pointer() != reflect.ValueOf(first).Pointer() {
			t.Error("Payload decoded more than once")
		}
	}
	if first["ref"] != ev.Ref || ev.Ref == "" {
		t.Errorf("Payload ref = %v, view Ref = %q", first["ref"], ev.Ref)
	}
	if (&Event{}).Payload() != nil {
		t.Error("a view built by hand without a payload should have a nil Payload")
	}
}

func TestNewEventUnknownEvent(t *testing.T) {
	payload := `{"action":"published","release":{"tag_name":"v1.0.0"},"installation":{"id":42},
		"repository":{"full_name":"acme/app","name":"app","html_url":"https://github.com/acme/app","default_branch":"main","owner":{"login":"acme"}},
		"sender":{"login":"octocat","type":"Bot"}}`
	ev, err := NewEvent("release", "d", []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Event: "release", Action: "published", Delivery: "d", Installation: 42, Sender: "octocat", SenderType: "Bot",
		Repository: Repository{FullName: "acme/app", Owner: "acme", Name: "app", HTMLURL: "https://github.com/acme/app", DefaultBranch: "main"},
	}
	got := *ev
	if got.Source != "github" {
		t.Errorf("Source = %q, want github", got.Source)
	}
	got.raw, got.Source = nil, ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if tag := ev.Payload()["release"].(map[string]any)["tag_name"]; tag != "v1.0.0" {
		t.Errorf("Payload release.tag_name = %v", tag)
	}

	// Fields of an unexpected type are left empty: only Payload is promised.
	ev, err = NewEvent("release", "d", []byte(`{"repository":"acme/app","sender":{"login":7},"installation":{"id":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Repository != (Repository{}) || ev.Sender != "" || ev.Installation != 0 {
		t.Errorf("odd shapes should leave fields empty, got %+v", ev)
	}
}

// NewEvent reads payloads by encoding/json's rules in both its views: a
// repeated key keeps its last value, and invalid UTF-8 becomes U+FFFD.
func TestNewEventV1Rules(t *testing.T) {
	ev, err := NewEvent("push", "d", []byte("{\"ref\":\"refs/heads/a\",\"ref\":\"refs/heads/b\",\"sender\":{\"login\":\"o\xffk\"}}"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Ref != "refs/heads/b" || ev.Payload()["ref"] != "refs/heads/b" {
		t.Errorf("repeated key: Ref %q, Payload ref %v; want the last, refs/heads/b", ev.Ref, ev.Payload()["ref"])
	}
	sender, _ := ev.Payload()["sender"].(map[string]any)
	if ev.Sender != "o\uFFFDk" || sender["login"] != "o\uFFFDk" {
		t.Errorf("invalid UTF-8: Sender %q, Payload login %q; want o\\uFFFDk", ev.Sender, sender["login"])
	}
}
