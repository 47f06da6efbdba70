package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReportMode is how a jenkins action reports its build: "" (not at all),
// ReportStatus (a commit status; report: true) or ReportCheck (a check run).
type ReportMode string

// Report modes of a jenkins action.
const (
	ReportNone   ReportMode = ""
	ReportStatus ReportMode = "status"
	ReportCheck  ReportMode = "check"
)

var reportModeType = reflect.TypeFor[ReportMode]()

// UnmarshalYAML accepts true and status (a commit status), check (a check
// run), and false.
func (m *ReportMode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected true, false, status or check")
	}
	switch n.Value {
	case "true", "status":
		*m = ReportStatus
	case "false", "":
		*m = ReportNone
	case "check":
		*m = ReportCheck
	default:
		return fmt.Errorf("expected true, false, status or check")
	}
	return nil
}

// Commands configures comment commands on pull requests (/retest, /build,
// /cancel, /switchboard help): who may run them, and whether an author who
// may not is told so.
type Commands struct {
	// Trusted lists GitHub author_association values whose comments may run
	// commands. Default OWNER, MEMBER, COLLABORATOR.
	Trusted StringList `yaml:"trusted"`
	// Users are logins that may run commands whatever their association.
	Users StringList `yaml:"users"`
	// Teams are "org/team-slug" teams whose active members may run commands.
	Teams StringList `yaml:"teams"`
	// ReplyUntrusted answers an untrusted author once, saying who may run
	// commands. Default true.
	ReplyUntrusted *bool `yaml:"reply_untrusted"`
}

// DefaultTrusted is commands.trusted when it is not written.
var DefaultTrusted = []string{"OWNER", "MEMBER", "COLLABORATOR"}

// authorAssociations are the values GitHub gives author_association.
// https://docs.github.com/graphql/reference/enums#commentauthorassociation
var authorAssociations = []string{"OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN", "NONE"}

// Replies reports whether an untrusted author gets a reply.
func (c Commands) Replies() bool { return c.ReplyUntrusted == nil || *c.ReplyUntrusted }

// conversationDefaults fills commands.trusted.
func (v *checker) conversationDefaults() {
	if v.unset("commands.trusted") {
		v.cfg.Commands.Trusted = append(StringList(nil), DefaultTrusted...)
	}
}

// conversation checks commands and the rules' supersede, abort_running
// and allow_self options.
func (v *checker) conversation() {
	c := v.cfg.Commands
	for i, a := range c.Trusted {
		up := strings.ToUpper(strings.TrimSpace(a))
		known := false
		for _, k := range authorAssociations {
			known = known || k == up
		}
		if !known {
			v.errorf(v.cfg.ItemKey("commands.trusted", i), "%q is not an author association; want one of %s", a, strings.Join(authorAssociations, ", "))
			continue
		}
		c.Trusted[i] = up
	}
	for i, u := range c.Users {
		if strings.TrimSpace(u) == "" || strings.ContainsAny(u, " /\t") {
			v.errorf(v.cfg.ItemKey("commands.users", i), "%q is not a GitHub login", u)
		}
	}
	for i, t := range c.Teams {
		org, slug, ok := strings.Cut(t, "/")
		if !ok || org == "" || slug == "" || strings.ContainsAny(slug, "/ \t") || strings.ContainsAny(org, " \t") {
			v.errorf(v.cfg.ItemKey("commands.teams", i), "%q: want org/team-slug, such as acme/maintainers", t)
		}
	}
	for i, r := range v.cfg.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		if r.AbortRunning && !r.Supersede {
			v.errorf(key+".abort_running", "needs supersede: true")
		}
		if !r.Supersede {
			continue
		}
		for j, on := range r.On {
			ev, _, _ := strings.Cut(on, ".")
			if ev != "push" && ev != "pull_request" {
				v.errorf(v.cfg.ItemKey(key+".on", j), "supersede: true works on push and pull_request events only, not %q", ev)
			}
		}
	}
}
