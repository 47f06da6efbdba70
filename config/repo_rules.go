package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"
)

// RepoRules is the central policy (repo_rules:) for the rules a repository
// writes in its own .github/switchboard.yml. Off unless enabled.
type RepoRules struct {
	Enabled bool `yaml:"enabled"`
	// AllowActions are the action kinds a repository may use; default
	// jenkins, slack, comment, label, status, log (http only when listed).
	AllowActions StringList        `yaml:"allow_actions"`
	Jenkins      RepoJenkinsPolicy `yaml:"jenkins"`
	Slack        RepoSlackPolicy   `yaml:"slack"`
	// MaxRules bounds the rules of one repository's file; default 20.
	MaxRules int `yaml:"max_rules"`
}

// RepoJenkinsPolicy is what Jenkins a repository's rules may reach.
type RepoJenkinsPolicy struct {
	// Connections are the jenkins: servers a repository may name.
	Connections StringList `yaml:"connections"`
	// Jobs are doublestar globs every rendered job path must match;
	// {owner} and {repo} stand for the repository's own.
	Jobs StringList `yaml:"jobs"`
}

// RepoSlackPolicy is what Slack a repository's rules may reach.
type RepoSlackPolicy struct {
	Connections StringList `yaml:"connections"`
	// Channels are doublestar globs every rendered channel must match;
	// {owner} and {repo} as in jobs.
	Channels StringList `yaml:"channels"`
}

// DefaultRepoMaxRules is repo_rules.max_rules when not written.
const DefaultRepoMaxRules = 20

// DefaultRepoActions are repo_rules.allow_actions when not written.
func DefaultRepoActions() []string {
	return []string{"jenkins", "slack", "comment", "label", "status", "log"}
}

// JobAllowed reports whether the Jenkins job path may be triggered for
// owner/repo.
func (p *RepoRules) JobAllowed(owner, repo, job string) bool {
	return matchAny(p.Jenkins.Jobs, owner, repo, job)
}

// ChannelAllowed reports whether a Slack message may go to channel for
// owner/repo.
func (p *RepoRules) ChannelAllowed(owner, repo, channel string) bool {
	return matchAny(p.Slack.Channels, owner, repo, channel)
}

func matchAny(globs []string, owner, repo, s string) bool {
	for _, g := range globs {
		g = strings.NewReplacer("{owner}", owner, "{repo}", repo).Replace(g)
		if ok, err := doublestar.Match(g, s); err == nil && ok {
			return true
		}
	}
	return false
}

func (v *checker) repoRulesDefaults() {
	if v.unset("repo_rules.allow_actions") {
		v.cfg.RepoRules.AllowActions = DefaultRepoActions()
	}
	if v.unset("repo_rules.max_rules") {
		v.cfg.RepoRules.MaxRules = DefaultRepoMaxRules
	}
}

// repoRules validates the central policy.
func (v *checker) repoRules() {
	p := &v.cfg.RepoRules
	kinds := ActionKinds()
	for i, a := range p.AllowActions {
		if !contains(kinds, a) {
			v.errorf(v.cfg.ItemKey("repo_rules.allow_actions", i), "unknown action %q; known: %s", a, strings.Join(kinds, ", "))
		}
	}
	if p.MaxRules <= 0 {
		v.errorf("repo_rules.max_rules", "must be greater than 0 (the default is %d)", DefaultRepoMaxRules)
	}
	for i, c := range p.Jenkins.Connections {
		if _, ok := v.cfg.Jenkins[c]; !ok {
			v.errorf(v.cfg.ItemKey("repo_rules.jenkins.connections", i), "jenkins server %q is not defined; defined: %s", c, strings.Join(sortedNames(v.cfg.Jenkins), ", "))
		}
	}
	for i, c := range p.Slack.Connections {
		if _, ok := v.cfg.Slack[c]; !ok {
			v.errorf(v.cfg.ItemKey("repo_rules.slack.connections", i), "slack connection %q is not defined; defined: %s", c, strings.Join(sortedNames(v.cfg.Slack), ", "))
		}
	}
	for key, globs := range map[string][]string{"repo_rules.jenkins.jobs": p.Jenkins.Jobs, "repo_rules.slack.channels": p.Slack.Channels} {
		for i, g := range globs {
			if !doublestar.ValidatePattern(strings.NewReplacer("{owner}", "o", "{repo}", "r").Replace(g)) {
				v.errorf(v.cfg.ItemKey(key, i), "bad glob %q", g)
			}
		}
	}
	if p.Enabled && contains(p.AllowActions, "jenkins") && len(p.Jenkins.Connections) > 0 && len(p.Jenkins.Jobs) == 0 {
		v.errorf("repo_rules.jenkins.jobs", `is required when repositories may use Jenkins: the job globs they may trigger, such as "{owner}/{repo}/**"`)
	}
}

// repoFile is all a repository's .github/switchboard.yml may hold.
type repoFile struct {
	Rules []*Rule `yaml:"rules"`
}

// ParseRepo reads the .github/switchboard.yml of the repository owner/repo
// (data, named file in errors) under the central configuration's policy
// (central.RepoRules). The file has the central file's rules: schema and
// nothing else: no URL, token or connection of its own; it names central
// connections the policy lists. ${VAR} is never expanded: a value holding
// it is an error. Beside the central checks of every rule, it refuses more
// rules than max_rules, action kinds not allowed, connections not listed,
// an http secret, and a literal Jenkins job path or Slack channel outside
// the policy's globs (templated ones are checked when rendered; an empty
// owner skips these). Every problem comes back in Errors, placed in file.
func ParseRepo(file string, data []byte, central *Config, owner, repo string) (*Config, error) {
	p := newParser(file, nil)
	p.literal = true
	root, perr := p.parseYAML(data)
	if perr != nil {
		return nil, Errors{perr}
	}
	var rf repoFile
	if root != nil {
		p.maxSteps = 50*countNodes(root, map[*yaml.Node]bool{}) + 100_000
		p.walk(root, reflect.TypeFor[repoFile](), "")
		if !p.aborted {
			p.decode(root, &rf)
		}
	}
	if p.aborted {
		return nil, p.errs.Err()
	}
	pol := &central.RepoRules
	cfg := &Config{
		File: file, Rules: rf.Rules, positions: p.positions,
		Jenkins: allowedOnly(central.Jenkins, pol.Jenkins.Connections),
		Slack:   allowedOnly(central.Slack, pol.Slack.Connections),
	}
	v := &checker{cfg: cfg, written: p.written, earlier: p.errKeys}
	v.ruleDefaults()
	v.rules()
	v.repoPolicy(pol, owner, repo)
	for _, e := range v.errs {
		// The central file may define more connections than a
		// repository may name: say which list to look at.
		for suffix, list := range map[string]string{".jenkins.server": "repo_rules.jenkins.connections", ".slack.connection": "repo_rules.slack.connections"} {
			if strings.HasSuffix(e.Key, suffix) {
				e.Msg = strings.Replace(e.Msg, "is not defined; defined:", "is not one a repository may use; "+list+":", 1)
				e.Msg = strings.Replace(e.Msg, "is not defined; none is configured under jenkins:", "is not one a repository may use; "+list+" is empty", 1)
				e.Msg = strings.Replace(e.Msg, "is not defined; none is configured under slack:", "is not one a repository may use; "+list+" is empty", 1)
				if strings.HasPrefix(e.Msg, "no jenkins server is configured") || strings.HasPrefix(e.Msg, "no slack connection is configured") {
					e.Msg = "a repository may use none: " + list + " is empty"
				}
			}
		}
	}
	all := append(p.errs, v.errs...)
	if len(all) > 0 {
		return nil, all.Err()
	}
	return cfg, nil
}

func allowedOnly[V any](m map[string]V, names []string) map[string]V {
	out := map[string]V{}
	for _, n := range names {
		if v, ok := m[n]; ok {
			out[n] = v
		}
	}
	return out
}

// repoPolicy checks a repository's rules against the central policy.
func (v *checker) repoPolicy(pol *RepoRules, owner, repo string) {
	c := v.cfg
	if n := len(c.Rules); n > pol.MaxRules {
		v.errorf(fmt.Sprintf("rules[%d]", pol.MaxRules), "%d rules; the policy allows at most %d (repo_rules.max_rules)", n, pol.MaxRules)
	}
	for i, r := range c.Rules {
		for key, set := range map[string]bool{"supersede": r.Supersede, "abort_running": r.AbortRunning, "allow_self": r.AllowSelf} {
			if set {
				v.errorf(fmt.Sprintf("rules[%d].%s", i, key), "is for central rules only; a repository's rules cannot set it")
			}
		}
		for j, a := range r.Do {
			key := c.ActionKey(i, j)
			kind := a.Kind()
			if kind == "" {
				continue
			}
			if !contains(pol.AllowActions, kind) {
				v.errorf(key+"."+kind, "action %s is not allowed in a repository's file; the policy allows: %s", kind, strings.Join(pol.AllowActions, ", "))
				continue
			}
			switch {
			case a.HTTP != nil && a.HTTP.Secret != "":
				v.errorf(key+".http.secret", "a repository's file cannot hold a secret")
			case owner == "":
				// Not known (switchboard validate --repo without --for):
				// literal paths are checked when rendered.
			case a.Jenkins != nil && !strings.Contains(a.Jenkins.Job, "{{") && a.Jenkins.Job != "" && !pol.JobAllowed(owner, repo, a.Jenkins.Job):
				v.errorf(key+".jenkins.job", "job %q is outside what the policy allows this repository: %s", a.Jenkins.Job, expandGlobs(pol.Jenkins.Jobs, owner, repo))
			case a.Slack != nil && !strings.Contains(a.Slack.Channel, "{{") && a.Slack.Channel != "" && !pol.ChannelAllowed(owner, repo, a.Slack.Channel):
				v.errorf(key+".slack.channel", "channel %q is outside what the policy allows this repository: %s", a.Slack.Channel, expandGlobs(pol.Slack.Channels, owner, repo))
			}
		}
	}
}

func expandGlobs(globs []string, owner, repo string) string {
	if len(globs) == 0 {
		return "none"
	}
	out := make([]string, len(globs))
	for i, g := range globs {
		out[i] = strings.NewReplacer("{owner}", owner, "{repo}", repo).Replace(g)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
