package pipeline

import (
	"context"
	"errors"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/reporules"
	"github.com/switchboard-dev/switchboard/rules"
)

// RepoRuleSource gives the rules a repository writes in its own
// .github/switchboard.yml; reporules.Source implements it.
type RepoRuleSource interface {
	For(ctx context.Context, central *config.Config, ev *rules.Event) (*reporules.Result, error)
}

// WithRepoRules makes p add, to every delivery of a repository, the rules
// that repository writes itself (when the central repo_rules policy is
// enabled), and returns p.
func (p *Processor) WithRepoRules(s RepoRuleSource) *Processor {
	p.repo = s
	return p
}

// repoExplain matches ev against its own repository's rules. retry is an
// error after which the whole delivery is tried again (the file could not
// be read and no earlier copy exists, or the changed files could not be
// listed).
func (p *Processor) repoExplain(ctx context.Context, snap *Snapshot, ev *rules.Event) (jobs []actions.Job, explained []rules.Explanation, evalErr, retry error) {
	if p.repo == nil || snap.Config == nil || !snap.Config.RepoRules.Enabled {
		return nil, nil, nil, nil
	}
	res, err := p.repo.For(ctx, snap.Config, ev)
	if err != nil {
		return nil, nil, nil, err
	}
	if res.Rules == nil {
		if res.Note != "" {
			// A file was refused and no earlier one was valid: say so.
			explained = append(explained, rules.Explanation{Rule: reporules.Prefix + reporules.Path,
				Conditions: []rules.Condition{{Condition: "source", OK: false, Detail: res.Note}}})
		}
		return nil, explained, nil, nil
	}
	jobs, explained, evalErr = res.Rules.Explain(ctx, ev, p.files, res.Note)
	var listErr *rules.FileListError
	if evalErr != nil && (ctx.Err() != nil || errors.As(evalErr, &listErr)) {
		return nil, nil, nil, evalErr
	}
	return jobs, explained, evalErr, nil
}
