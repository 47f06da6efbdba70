package config

import "strings"

// PullRequests configures how pull requests from forks by authors outside
// commands.trusted are treated: held until a trusted member comments
// /ok-to-test (the default), or run at once.
type PullRequests struct {
	// Untrusted is UntrustedHold (default) or UntrustedRun.
	Untrusted string `yaml:"untrusted"`
	// Approve is ApprovePerSHA (default: a later push waits again) or
	// ApproveSticky (an approval lasts the pull request's life).
	Approve string `yaml:"approve"`
}

// Values of pull_requests.untrusted and pull_requests.approve.
const (
	UntrustedHold = "hold"
	UntrustedRun  = "run"
	ApprovePerSHA = "per_sha"
	ApproveSticky = "sticky"
)

// Holds reports whether untrusted fork pull requests wait for /ok-to-test.
func (p PullRequests) Holds() bool { return p.Untrusted != UntrustedRun }

// Sticky reports whether an /ok-to-test lasts the pull request's life.
func (p PullRequests) Sticky() bool { return p.Approve == ApproveSticky }

// RunsUntrusted reports whether the rule runs for a held pull request
// (trusted_only: false); by default it does not.
func (r *Rule) RunsUntrusted() bool { return r != nil && r.TrustedOnly != nil && !*r.TrustedOnly }

// pullRequests applies the defaults and checks pull_requests.
func (v *checker) pullRequests() {
	p := &v.cfg.PullRequests
	if v.unset("pull_requests.untrusted") {
		p.Untrusted = UntrustedHold
	}
	if v.unset("pull_requests.approve") {
		p.Approve = ApprovePerSHA
	}
	p.Untrusted, p.Approve = strings.TrimSpace(p.Untrusted), strings.TrimSpace(p.Approve)
	if p.Untrusted != UntrustedHold && p.Untrusted != UntrustedRun {
		v.errorf("pull_requests.untrusted", "%q: want hold (wait for a member's /ok-to-test) or run", p.Untrusted)
	}
	if p.Approve != ApprovePerSHA && p.Approve != ApproveSticky {
		v.errorf("pull_requests.approve", "%q: want per_sha (a later push waits again) or sticky", p.Approve)
	}
}
