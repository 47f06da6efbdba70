package config

import (
	"strings"
	"testing"
)

func TestPullRequestsKeys(t *testing.T) {
	cfg, err := loadText(t, sourcesBase+"rules: [{name: a, on: [pull_request], trusted_only: false, do: [{log: {message: x}}]}, {name: b, on: [push], do: [{log: {message: x}}]}]\n", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.PullRequests.Holds() || cfg.PullRequests.Sticky() || cfg.PullRequests.Approve != ApprovePerSHA {
		t.Fatalf("defaults: %+v", cfg.PullRequests)
	}
	if !cfg.Rules[0].RunsUntrusted() || cfg.Rules[1].RunsUntrusted() {
		t.Fatal("trusted_only: false not read, or the default is not trusted only")
	}
	cfg, err = loadText(t, sourcesBase+"pull_requests: {untrusted: run, approve: sticky}\n", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PullRequests.Holds() || !cfg.PullRequests.Sticky() {
		t.Fatalf("written: %+v", cfg.PullRequests)
	}
}

func TestPullRequestsErrors(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"untrusted": {"pull_requests: {untrusted: allow}\n", `2:28: pull_requests.untrusted: "allow": want hold (wait for a member's /ok-to-test) or run`},
		"approve":   {"pull_requests: {approve: once}\n", `2:26: pull_requests.approve: "once": want per_sha (a later push waits again) or sticky`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadText(t, sourcesBase+tc.text, map[string]string{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
