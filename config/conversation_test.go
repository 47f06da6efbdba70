package config

import (
	"slices"
	"strings"
	"testing"
)

// loadConversation writes text to a file and loads it with an empty
// environment.
func loadConversation(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return loadText(t, text, map[string]string{})
}

const conversationBase = "github: {webhook_secret: s}\njenkins: {main: {url: \"https://j.example.com/\", user: u, token: t}}\n"

func TestConversationKeys(t *testing.T) {
	cfg, err := loadConversation(t, conversationBase+`commands:
  trusted: [owner, MEMBER]
  users: [octocat]
  teams: [acme/maintainers]
  reply_untrusted: false
rules:
  - name: pr
    on: [pull_request.synchronize, push]
    supersede: true
    abort_running: true
    allow_self: true
    do:
      - jenkins: {job: a, report: check}
      - jenkins: {job: b, report: true}
      - jenkins: {job: c, report: status}
      - jenkins: {job: d, report: false}
`)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Commands.Trusted, []string{"OWNER", "MEMBER"}) || cfg.Commands.Replies() ||
		!slices.Equal(cfg.Commands.Teams, []string{"acme/maintainers"}) || !slices.Equal(cfg.Commands.Users, []string{"octocat"}) {
		t.Errorf("commands = %+v", cfg.Commands)
	}
	r := cfg.Rules[0]
	if !r.Supersede || !r.AbortRunning || !r.AllowSelf {
		t.Errorf("rule options = %+v", r)
	}
	want := []ReportMode{ReportCheck, ReportStatus, ReportStatus, ReportNone}
	for i, w := range want {
		if got := r.Do[i].Jenkins.Report; got != w {
			t.Errorf("do[%d].jenkins.report = %q, want %q", i, got, w)
		}
	}
}

func TestConversationDefaults(t *testing.T) {
	cfg, err := loadConversation(t, conversationBase+"rules: [{name: a, on: push, do: [{log: {message: x}}]}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Commands.Trusted, []string{"OWNER", "MEMBER", "COLLABORATOR"}) || !cfg.Commands.Replies() {
		t.Errorf("commands defaults = %+v", cfg.Commands)
	}
}

func TestConversationErrors(t *testing.T) {
	tests := map[string]struct {
		text string
		want string
	}{
		"unknown association": {"commands: {trusted: [MEMBER, ADMIN]}\nrules: [{name: a, on: push, do: [{log: {message: x}}]}]\n",
			`commands.trusted[1]: "ADMIN" is not an author association; want one of OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER, MANNEQUIN, NONE`},
		"team without org": {"commands: {teams: [maintainers]}\nrules: [{name: a, on: push, do: [{log: {message: x}}]}]\n",
			`commands.teams[0]: "maintainers": want org/team-slug, such as acme/maintainers`},
		"abort_running alone": {"rules: [{name: a, on: push, abort_running: true, do: [{log: {message: x}}]}]\n",
			`rules[0].abort_running: needs supersede: true`},
		"supersede on issues": {"rules: [{name: a, on: [push, issues.opened], supersede: true, do: [{log: {message: x}}]}]\n",
			`rules[0].on[1]: supersede: true works on push and pull_request events only, not "issues"`},
		"bad report": {"rules: [{name: a, on: push, do: [{jenkins: {job: a, report: checks}}]}]\n",
			`rules[0].do[0].jenkins.report: "checks" is not true, false, status or check`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := loadConversation(t, conversationBase+tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}
