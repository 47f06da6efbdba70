// Package reporules gives each repository the rules it writes in its own
// .github/switchboard.yml (or, lacking one, its organisation's .github
// repository's), under the central policy repo_rules:. It reads the file
// through the contents API with the installation's token, caches it per
// repository (bounded, revalidated with ETags), compiles it with
// config.ParseRepo and rules.Compile, checks every rendered action against
// the policy, and reports a file that breaks it on the commit that changed
// it, while the repository's last valid rules keep applying.
package reporules

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
)

// Path is where a repository keeps its rules.
const Path = ".github/switchboard.yml"

// OrgRepo is the organisation repository whose Path applies to every
// repository of the organisation that has none of its own.
const OrgRepo = ".github"

// Prefix starts the name of every rule that came from a repository, in
// jobs, outcomes and the delivery history, so that it can never be taken
// for a central rule.
const Prefix = "repo:"

// MaxFileBytes bounds a repository's file.
const MaxFileBytes = 256 << 10

// Rules is one repository's compiled file. It is immutable.
type Rules struct {
	engine *rules.Engine
	policy config.RepoRules
	// Owner and Repo are the repository the rules apply to.
	Owner, Repo string
	// From is the repository the file was read from: Owner/Repo itself or
	// Owner/.github.
	From string
	// SHA is the file's blob SHA.
	SHA   string
	count int
}

// Compile checks data, the file of owner/repo read from the repository
// from, against central's policy and compiles it. Its errors are
// config.Errors placed in the file (named Path).
func Compile(central *config.Config, owner, repo, from, sha string, data []byte) (*Rules, error) {
	return CompileFile(central, Path, owner, repo, from, sha, data)
}

// CompileFile is Compile naming file in its errors (a local copy being
// checked). An empty owner skips the checks of literal job paths and
// channels against the policy's globs.
func CompileFile(central *config.Config, file, owner, repo, from, sha string, data []byte) (*Rules, error) {
	if len(data) > MaxFileBytes {
		return nil, config.Errors{{Pos: config.Position{File: file, Line: 1, Column: 1},
			Msg: fmt.Sprintf("the file is %d bytes; at most %d are read", len(data), MaxFileBytes)}}
	}
	cfg, err := config.ParseRepo(file, data, central, owner, repo)
	if err != nil {
		return nil, err
	}
	var clash config.Errors
	for i, r := range cfg.Rules {
		r.Name = Prefix + r.Name
		for _, c := range central.Rules {
			if c != nil && c.Name == r.Name {
				clash = append(clash, cfg.Errorf(fmt.Sprintf("rules[%d].name", i), "the central configuration already has a rule named %q", r.Name))
			}
		}
	}
	if len(clash) > 0 {
		return nil, clash
	}
	// The same checks as the central rules: compiled, and every template
	// rendered against the sample events.
	engine, err := rules.Validate(cfg)
	if err != nil {
		return nil, err
	}
	return &Rules{engine: engine, policy: central.RepoRules, Owner: owner, Repo: repo, From: from, SHA: sha, count: len(cfg.Rules)}, nil
}

// Len is how many rules the file holds.
func (r *Rules) Len() int { return r.count }

// Explain matches ev against the rules as rules.Engine.Explain does, for
// an event of the rules' own repository only (nothing otherwise), then
// refuses every rendered action the policy does not allow (reported as a
// *rules.RenderError beside the jobs, as it is found when rendering), and starts every explanation with a
// "source" condition naming the file's repository and blob, and note
// (why a newer version was refused) when given.
func (r *Rules) Explain(ctx context.Context, ev *rules.Event, files rules.FileLister, note string) ([]actions.Job, []rules.Explanation, error) {
	if !strings.EqualFold(ev.Repository.Owner, r.Owner) || !strings.EqualFold(ev.Repository.Name, r.Repo) {
		return nil, nil, nil
	}
	jobs, ex, err := r.engine.Explain(ctx, ev, files)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	kept := jobs[:0]
	for _, j := range jobs {
		if msg := r.refuse(&j); msg != "" {
			errs = append(errs, &rules.RenderError{Rule: j.Rule, Index: j.Index, Kind: j.Kind, Err: errors.New("refused by repo_rules: " + msg)})
			continue
		}
		kept = append(kept, j)
	}
	src := r.Source(note)
	for i := range ex {
		ex[i].Conditions = append([]rules.Condition{{Condition: "source", OK: true, Detail: src}}, ex[i].Conditions...)
	}
	return kept, ex, errors.Join(errs...)
}

// Source says where the rules came from, for the delivery history.
func (r *Rules) Source(note string) string {
	s := fmt.Sprintf("%s of %s at blob %s", Path, r.From, r.SHA)
	if note != "" {
		s += "; " + note
	}
	return s
}

// refuse says why the policy does not allow the rendered job, or "".
func (r *Rules) refuse(j *actions.Job) string {
	p := &r.policy
	if !contains(p.AllowActions, j.Kind) {
		return "action " + j.Kind + " is not allowed"
	}
	switch {
	case j.Jenkins != nil:
		if !contains(p.Jenkins.Connections, j.Jenkins.Server) {
			return fmt.Sprintf("jenkins server %q is not listed in repo_rules.jenkins.connections", j.Jenkins.Server)
		}
		if !p.JobAllowed(r.Owner, r.Repo, j.Jenkins.Job) {
			return fmt.Sprintf("job %q is outside repo_rules.jenkins.jobs for %s/%s", j.Jenkins.Job, r.Owner, r.Repo)
		}
	case j.Slack != nil:
		if !contains(p.Slack.Connections, j.Slack.Connection) {
			return fmt.Sprintf("slack connection %q is not listed in repo_rules.slack.connections", j.Slack.Connection)
		}
		if j.Slack.Channel != "" && !p.ChannelAllowed(r.Owner, r.Repo, j.Slack.Channel) {
			return fmt.Sprintf("channel %q is outside repo_rules.slack.channels for %s/%s", j.Slack.Channel, r.Owner, r.Repo)
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
