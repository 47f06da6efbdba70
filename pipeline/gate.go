package pipeline

import (
	"context"
	"errors"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
)

// Gate holds the pull request events of untrusted authors from forks until
// a trusted member approves them (/ok-to-test). The commands package
// implements it.
type Gate interface {
	// Hold returns why ev is held ("held: author NONE from fork x/y;
	// waiting for /ok-to-test"), having told the pull request so, or ""
	// when ev may run. An error marked Retryable means nothing was
	// decided and the delivery is worth another try.
	Hold(ctx context.Context, snap *Snapshot, ev *rules.Event) (string, error)
}

// gate drops, for a held pull request event, the jobs of every rule
// without trusted_only: false, and says why in those rules'
// explanations. Nothing is asked of the Gate when no such job matched.
func (p *Processor) gate(ctx context.Context, snap *Snapshot, ev *rules.Event, jobs []actions.Job, explained []rules.Explanation) ([]actions.Job, []rules.Explanation, error) {
	if p.talk.Gate == nil || ev.Event != "pull_request" {
		return jobs, explained, nil
	}
	gated := false
	for _, j := range jobs {
		gated = gated || !ruleConfig(snap.Config, j.Rule).RunsUntrusted()
	}
	if !gated {
		return jobs, explained, nil
	}
	reason, err := p.talk.Gate.Hold(ctx, snap, ev)
	var re *RetryableError
	switch {
	case errors.As(err, &re) || ctx.Err() != nil:
		return nil, nil, err
	case err != nil:
		// Fail closed: an event whose approval could not be checked runs
		// nothing that needs one.
		reason = "held: the approval could not be checked: " + err.Error()
	case reason == "":
		return jobs, explained, nil
	}
	kept := jobs[:0]
	for _, j := range jobs {
		if ruleConfig(snap.Config, j.Rule).RunsUntrusted() {
			kept = append(kept, j)
		}
	}
	return kept, markHeld(snap.Config, explained, reason), err
}

// markHeld turns every matched rule without trusted_only: false into one
// that did not match, with reason as its last condition.
func markHeld(cfg *config.Config, explained []rules.Explanation, reason string) []rules.Explanation {
	for i, ex := range explained {
		if !ex.Matched || ruleConfig(cfg, ex.Rule).RunsUntrusted() {
			continue
		}
		explained[i].Matched = false
		explained[i].Conditions = append(explained[i].Conditions, rules.Condition{
			Condition: "trusted_only", OK: false, Detail: reason,
		})
	}
	return explained
}
