package rules

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules/samples"
)

// validateYAML loads a configuration whose rules: section is rulesYAML
// through the real loader, and runs Validate on it.
func validateYAML(t *testing.T, rulesYAML string) error {
	t.Helper()
	src := "github:\n  webhook_secret: test-secret\n" +
		"jenkins:\n  main:\n    url: https://jenkins.example.com/\n    user: u\n    token: t\n" +
		"slack:\n  main:\n    token: xoxb-test\n" +
		"rules:\n" + rulesYAML
	cfg, err := config.Parse("switchboard.yml", []byte(src), nil)
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	_, err = Validate(cfg)
	return err
}

func TestValidateCatches(t *testing.T) {
	tests := map[string]struct {
		rules string
		want  []string // each must appear in one line of the error
	}{
		"misspelt field": {`
  - name: build-main
    on: [push]
    do:
      - slack: {channel: "#ci", text: "{{ .Sender }} pushed {{ .ShortSha }}"}
`, []string{"switchboard.yml:16:39:", "rules[0].do[0].slack.text: rule build-main: action 0 (slack): template: 1:24: .ShortSha: the event view has no field ShortSha"}},
		"field the rule's events never carry": {`
  - name: build-main
    on: [push]
    do:
      - jenkins: {job: "acme/app"}
      - slack: {channel: "#ci", text: "{{ .PullRequest.Title }}"}
`, []string{"switchboard.yml:17:", "rules[0].do[1].slack.text: rule build-main: action 1 (slack): .PullRequest.Title: push events have no pull request"}},
		"field one of several events never carries": {`
  - name: mixed
    on: [pull_request.opened, push, issues]
    do:
      - log: {message: "{{ .PullRequest.Number }}"}
`, []string{
			"rules[0].do[0].log.message: rule mixed: action 0 (log): .PullRequest.Number: push events have no pull request",
			"rules[0].do[0].log.message: rule mixed: action 0 (log): .PullRequest.Number: issues events have no pull request",
		}},
		"comment field on issues": {`
  - name: triage
    on: issues
    do:
      - log: {message: "{{ .Comment.Body }}"}
`, []string{"rule triage: action 0 (log): .Comment.Body: issues events have no comment"}},
		"event without a sample": {`
  - name: releases
    on: release.published
    do:
      - log: {message: "{{ .Issue.Title }}"}
`, []string{"rule releases: action 0 (log): .Issue.Title: release events have no issue"}},
		"unknown function": {`
  - name: shout
    on: [push]
    do:
      - log: {message: "{{ shout .Sender }}"}
`, []string{"rules[0].do[0].log.message: rule shout: action 0 (log): template: 1: function \"shout\" not defined"}},
		"expression that does not compile": {`
  - name: big-prs
    on: [pull_request]
    if:
      expr: "payload.pull_request.additions >"
    do:
      - log: {message: "x"}
`, []string{"switchboard.yml:16:13:", "rules[0].if.expr: rule big-prs: expression does not compile: unexpected token EOF"}},
		"expression on an unknown variable": {`
  - name: big-prs
    on: [pull_request]
    if: {expr: "paylod.x == 1"}
    do:
      - log: {message: "x"}
`, []string{"rules[0].if.expr: rule big-prs: expression does not compile: unknown name paylod"}},
		"expression that is not a boolean": {`
  - name: big-prs
    on: [pull_request]
    if: {expr: "1 + 2"}
    do:
      - log: {message: "x"}
`, []string{"rules[0].if.expr: rule big-prs: expression does not compile: expected bool, but got int"}},
		"bad glob": {`
  - name: globs
    on: [push]
    if:
      branches: [main, "release/[1-"]
    do:
      - log: {message: "x"}
`, []string{"switchboard.yml:16:24:", `rules[0].if.branches[1]: rule globs: bad glob "release/[1-"`}},
		"negation outside labels and authors": {`
  - name: globs
    on: [push]
    if: {branches: "!main"}
    do:
      - log: {message: "x"}
`, []string{`rules[0].if.branches: rule globs: "!" (negation) is allowed only in labels and authors`}},
		"bare negation": {`
  - name: globs
    on: [pull_request]
    if: {labels: [bug, "!"]}
    do:
      - log: {message: "x"}
`, []string{`rules[0].if.labels[1]: rule globs: nothing after "!"`}},
		"comment in a push rule": {`
  - name: push-comment
    on: [push]
    do:
      - comment: "thanks"
`, []string{"rules[0].do[0]: rule push-comment: action 0 (comment): push events have no issue or pull request to comment on"}},
		"Jenkins path that is empty on every sample": {`
  - name: tags
    on: [pull_request]
    do:
      - jenkins: {job: "acme/{{ .Tag }}/build"}
`, []string{`rules[0].do[0].jenkins.job: rule tags: action 0 (jenkins): job path "acme//build" has an empty segment`}},
		"Jenkins path with dot-dot": {`
  - name: up
    on: [push]
    do:
      - jenkins: {job: "acme/{{ .Sender }}/../admin"}
`, []string{`rule up: action 0 (jenkins): job path "acme/Codertocat/../admin" has a ".." segment`}},
		"a tag rule using the branch": {`
  - name: tags
    on: [push]
    if: {tags: "v*"}
    do:
      - jenkins: {job: "acme/{{ .Branch }}"}
`, []string{`rules[0].do[0].jenkins.job: rule tags: action 0 (jenkins): job path "acme/" has an empty segment`}},
		"blocks that are not JSON": {`
  - name: blocks
    on: [push]
    do:
      - slack: {channel: "#ci", text: x, blocks: '[{"text": {{ .Sender }}}]'}
`, []string{"rules[0].do[0].slack.blocks: rule blocks: action 0 (slack): not valid JSON after rendering"}},
		"blocks that are not Block Kit": {`
  - name: blocks
    on: [push]
    do:
      - slack: {channel: "#ci", text: x, blocks: '{"foo": 1}'}
`, []string{`rules[0].do[0].slack.blocks: rule blocks: action 0 (slack): blocks must be a JSON list of blocks or an object with a "blocks" list`}},
		"a section whose text is not a text object": {`
  - name: blocks
    on: [push]
    do:
      - slack: {channel: "#ci", text: x, blocks: '[{"type": "section", "text": {"type": "markdown", "text": "{{ .Sender }}"}}]'}
`, []string{`rules[0].do[0].slack.blocks: rule blocks: action 0 (slack): block 1 (section): text: type "markdown": want "plain_text" or "mrkdwn"`}},
		"a label removal that is a path": {`
  - name: unlabel
    on: [issues.unlabeled]
    do:
      - label: {remove: ["{{ if .Issue }}..{{ end }}"]}
`, []string{`rules[0].do[0].label.remove[0]: rule unlabel: action 0 (label): label ".." cannot be removed by name`}},
		"a block type Slack does not have": {`
  - name: blocks
    on: [push]
    do:
      - slack: {channel: "#ci", text: x, blocks: '[{"type": "sektion", "text": {"type": "mrkdwn", "text": "hi"}}]'}
`, []string{`rules[0].do[0].slack.blocks: rule blocks: action 0 (slack): block 1 (sektion): not a Block Kit block type`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := validateYAML(t, tc.rules)
			if err == nil {
				t.Fatal("Validate accepted the configuration")
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("want config.Errors, got %T: %v", err, err)
			}
			_, rest, _ := strings.Cut(tc.rules, "name: ")
			rule, _, _ := strings.Cut(rest, "\n")
			for _, e := range errs {
				if !strings.Contains(e.Msg, "rule "+rule+": ") {
					t.Errorf("error %q does not name rule %s", e, rule)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("errors:\n%v\nwant a line containing:\n%s", err, w)
				}
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := map[string]string{
		"a comment rule using the pull request (one sample carries it)": `
  - name: retest
    on: [issue_comment.created]
    do:
      - log: {message: "{{ with .PullRequest }}#{{ .Number }} {{ .Title }}{{ end }} {{ .PullRequest.Title }}"}
`,
		"keys below .Payload are not checked": `
  - name: org
    on: [push]
    do:
      - log: {message: "{{ .Payload.organization.login }}"}
`,
		"a branch-only field in a push rule (the tag sample lacks it)": `
  - name: build
    on: [push]
    do:
      - jenkins: {job: "acme/{{ .Branch }}"}
`,
		"conditions that only pull requests can meet": `
  - name: pr-only
    on: [push, pull_request, issues]
    if: {base: main}
    do:
      - comment: "{{ .PullRequest.Title }}"
`,
		"DESIGN.md's example rules": `
  - name: build-main
    on: [push]
    if:
      repository: "acme/*"
      branches: [main, "release/*"]
      paths: ["src/**", go.mod]
    do:
      - jenkins:
          server: main
          job: "acme/{{ .Repository.Name }}/main"
          parameters:
            GIT_SHA: "{{ .SHA }}"
          report: true
      - slack:
          connection: main
          channel: "#ci"
          text: "{{ .Sender }} pushed {{ .ShortSHA }} to {{ .Repository.FullName }}@{{ .Branch }}"
  - name: pr-checks
    on: [pull_request.opened, pull_request.synchronize, pull_request.reopened]
    if:
      base: main
      draft: false
      labels: ["!skip-ci"]
      authors: ["!dependabot[bot]"]
      expr: 'payload.pull_request.additions < 2000'
    do:
      - jenkins: {job: "acme/{{ .Repository.Name }}/pr", parameters: {PR: "{{ .PullRequest.Number }}"}, report: true}
      - comment: "Build queued for {{ .ShortSHA }}."
      - label: {add: [ci-queued], remove: [ci-passed]}
  - name: release-tags
    on: [push]
    if: {tags: ["v*"]}
    do:
      - status: {context: release, state: pending, description: "Release {{ .Tag }} started"}
      - http: {url: "https://deploy.example.com/hook", secret: deploy-secret, body: '{"tag": "{{ .Tag }}"}'}
      - log: {message: "release {{ .Tag }} by {{ .Sender }}"}
`,
	}
	for name, rules := range tests {
		t.Run(name, func(t *testing.T) {
			if err := validateYAML(t, rules); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestUnknownEventIsConfigsToReport(t *testing.T) {
	src := "github:\n  webhook_secret: s\nrules:\n  - name: typo\n    on: [pushh]\n    do:\n      - log: {message: x}\n"
	_, err := config.Parse("switchboard.yml", []byte(src), nil)
	if err == nil || !strings.Contains(err.Error(), `switchboard.yml:5:10: rules[0].on[0]: unknown event "pushh"`) {
		t.Fatalf("config.Parse: %v", err)
	}
}

func TestSamplesMatchTestdata(t *testing.T) {
	ps := samples.Payloads()
	if len(ps) == 0 {
		t.Fatal("no samples embedded")
	}
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", p.Name))
			if err != nil {
				t.Fatalf("rules/samples/%s has no original in testdata/webhooks: %v", p.Name, err)
			}
			if !bytes.Equal(p.Payload, want) {
				t.Errorf("rules/samples/%s differs from testdata/webhooks/%s; copy it again", p.Name, p.Name)
			}
		})
	}
}

func TestSampleEventsCoverTheTypedEvents(t *testing.T) {
	evs, err := SampleEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"push", "pull_request", "issues", "issue_comment", "ping", "installation", "installation_repositories"} {
		if len(evs[name]) == 0 {
			t.Errorf("no sample event for %s", name)
		}
		for _, ev := range evs[name] {
			if ev.Event != name {
				t.Errorf("sample for %s has Event %q", name, ev.Event)
			}
		}
	}
	var onPR, onIssue bool
	for _, ev := range evs["issue_comment"] {
		onPR = onPR || ev.PullRequest != nil
		onIssue = onIssue || ev.PullRequest == nil
	}
	if !onPR || !onIssue {
		t.Errorf("issue_comment samples should hold a comment on a PR and one on an issue (PR %v, issue %v)", onPR, onIssue)
	}
}
