package rules

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
)

func strp(s string) *string { return &s }

func TestEvaluateRendersJobsInOrder(t *testing.T) {
	cfg := &config.Config{
		Jenkins: map[string]*config.JenkinsServer{"main": {URL: "https://jenkins.example.com/"}},
		Slack:   map[string]*config.SlackConnection{"main": {Token: "xoxb-test"}},
		Rules: []*config.Rule{
			{Name: "pr-checks", On: []string{"pull_request.opened"}, If: config.Conditions{Base: []string{"main"}}, Do: []*config.Action{
				{Jenkins: &config.JenkinsAction{Job: "acme/{{ .Repository.Name }}/pr", Parameters: map[string]string{"PR": "{{ .PullRequest.Number }}", "SHA": "{{ .SHA }}"}, Report: config.ReportStatus}},
				{Comment: strp("Build queued for {{ .ShortSHA }}.")},
				{Label: &config.LabelAction{Add: []string{"ci-queued"}, Remove: []string{"ci-passed", "{{ .Tag }}"}}},
				{Status: &config.StatusAction{Context: "ci", State: "pending", Description: "queued {{ .PullRequest.Title }}"}},
			}},
			{Name: "not-this-one", On: []string{"pull_request.closed"}, Do: []*config.Action{{Log: &config.LogAction{Message: "no"}}}},
			{Name: "notify", On: []string{"pull_request"}, Do: []*config.Action{
				{Slack: &config.SlackAction{Channel: "#ci", Text: "comment: {{ .Comment.Body }}"}}, // no comment on a PR event
				{HTTP: &config.HTTPAction{URL: "https://hook.example/{{ .Repository.Name }}", Secret: "deploy-secret"}},
				{Log: &config.LogAction{Message: "{{ .Action }} #{{ .PullRequest.Number }}"}},
			}},
		},
	}
	e, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev := prEvent("opened", "main", "feature", false, "alice")
	ev.Delivery = "d-1"
	ev.SHA, ev.ShortSHA = "abcdef0123456789", "abcdef0"
	ev.PullRequest.Title = "Fix it"
	jobs, err := e.Evaluate(context.Background(), ev, nil)

	target := actions.Target{Installation: 7, Owner: "acme", Repo: "app", Number: 5, SHA: "abcdef0123456789"}
	head := func(rule string, index int, kind string) actions.Job {
		return actions.Job{Delivery: "d-1", Event: "pull_request", Rule: rule, Index: index, Kind: kind, Target: target}
	}
	want := []actions.Job{
		head("pr-checks", 0, "jenkins"), head("pr-checks", 1, "comment"), head("pr-checks", 2, "label"), head("pr-checks", 3, "status"),
		head("notify", 1, "http"), head("notify", 2, "log"),
	}
	want[0].Jenkins = &actions.JenkinsJob{Server: "main", Job: "acme/app/pr", Parameters: map[string]string{"PR": "5", "SHA": "abcdef0123456789"}, Report: true, Context: "jenkins/acme/app/pr"}
	want[1].Comment = &actions.CommentJob{Body: "Build queued for abcdef0."}
	want[2].Label = &actions.LabelJob{Add: []string{"ci-queued"}, Remove: []string{"ci-passed"}}
	want[3].Status = &actions.StatusJob{Context: "ci", State: "pending", Description: "queued Fix it"}
	want[4].HTTP = &actions.HTTPJob{URL: "https://hook.example/app", Method: "POST", Signed: true}
	want[5].Log = &actions.LogJob{Message: "opened #5"}
	if !reflect.DeepEqual(jobs, want) {
		for i := range jobs {
			t.Logf("got  %d: %+v", i, jobs[i])
		}
		t.Errorf("jobs differ from want")
	}

	// The slack action failed alone, and says where.
	var re *RenderError
	if !errors.As(err, &re) {
		t.Fatalf("want a *RenderError, got %v", err)
	}
	if re.Rule != "notify" || re.Index != 0 || re.Kind != "slack" || re.Field != "slack.text" {
		t.Errorf("RenderError = %+v", re)
	}
	if want := "rule notify: action 0 (slack): slack.text: 1:20: .Comment.Body: nil pointer evaluating *rules.Comment.Body"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
}

func TestEvaluateTargets(t *testing.T) {
	cfg := oneRule([]string{"push", "issues", "issue_comment", "installation"}, config.Conditions{})
	e, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		file string
		want actions.Target
	}{
		"push: the pushed SHA":           {"push.branch.json", actions.Target{Installation: 1, Owner: "Codertocat", Repo: "Hello-World", SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246"}},
		"issue: its number":              {"issues.opened.json", actions.Target{Owner: "Codertocat", Repo: "Hello-World", Number: 1}},
		"comment on a PR: the PR number": {"issue_comment.created-pr.json", actions.Target{Installation: 1, Owner: "Codertocat", Repo: "Hello-World", Number: 2}},
		"installation: no repository":    {"installation.created.json", actions.Target{Installation: 957387}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			jobs, err := e.Evaluate(context.Background(), loadEvent(t, tc.file), nil)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("jobs %v, err %v", jobs, err)
			}
			if jobs[0].Target != tc.want {
				t.Errorf("target = %+v, want %+v", jobs[0].Target, tc.want)
			}
		})
	}
}

func TestEvaluateActionsThatCannotApply(t *testing.T) {
	tests := map[string]struct {
		action *config.Action
		file   string
		want   string
	}{
		"comment on a push":         {&config.Action{Comment: strp("hi")}, "push.branch.json", "rule r: action 0 (comment): push events have no issue or pull request to comment on"},
		"label on a push":           {&config.Action{Label: &config.LabelAction{Add: []string{"x"}}}, "push.branch.json", "push events have no issue or pull request to label"},
		"status on an issue":        {&config.Action{Status: &config.StatusAction{Context: "c", State: "success"}}, "issues.opened.json", "issues events have no commit SHA"},
		"status on a deleted ref":   {&config.Action{Status: &config.StatusAction{Context: "c", State: "success"}}, "push.tag-delete.json", "SHA is all zeros"},
		"templated state not valid": {&config.Action{Status: &config.StatusAction{Context: "c", State: "{{ .Action }}"}}, "push.branch.json", `state "": want pending, success, failure or error`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev := loadEvent(t, tc.file)
			e, err := Compile(oneRuleDoing(ev.Event, tc.action))
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := e.Evaluate(context.Background(), ev, nil)
			if len(jobs) != 0 || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("jobs %v, err %v; want no job and %q", jobs, err, tc.want)
			}
		})
	}
}

func oneRuleDoing(event string, a *config.Action) *config.Config {
	return &config.Config{Rules: []*config.Rule{{Name: "r", On: []string{event}, Do: []*config.Action{a}}}}
}

func TestEngineConcurrentUse(t *testing.T) {
	cfg, err := config.Load("../testdata/config/rules-all.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	evs := []*Event{loadEvent(t, "push.branch.json"), loadEvent(t, "pull_request.opened.json"), loadEvent(t, "issues.opened.json")}
	want := make([]int, len(evs))
	for i, ev := range evs {
		jobs, _ := e.Evaluate(context.Background(), ev, &listFiles{files: []string{"README.md"}})
		want[i] = len(jobs)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 20; n++ {
				i := (g + n) % len(evs)
				jobs, _ := e.Evaluate(context.Background(), evs[i], &listFiles{files: []string{"README.md"}})
				if len(jobs) != want[i] {
					errs <- "job count changed under concurrency"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
