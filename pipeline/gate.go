package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
)

// Gate holds the pull request events of untrusted authors from forks until
// a trusted member approves them (/ok-to-test). The commands package
// implements it.
type Gate interface {
	// Hold calls nothing outside the process for an event heldByPayload
	// says no to: the payload already shows it may run. Hold returns why
	// ev is held ("held: author NONE from fork x/y;
	// waiting for /ok-to-test"), having told the pull request so, or ""
	// when ev may run. An error marked Retryable means the delivery is
	// worth another try; with any other error the event is held all the
	// same (with reason, or one saying the approval could not be checked).
	Hold(ctx context.Context, snap *Snapshot, ev *rules.Event) (string, error)
}

// gate drops, for a held pull request event, the jobs of every rule
// without trusted_only: false, and says why in those rules'
// explanations. Nothing is asked of the Gate when no such job matched.
func (p *Processor) gate(ctx context.Context, snap *Snapshot, ev *rules.Event, jobs []actions.Job, explained []rules.Explanation) ([]actions.Job, []rules.Explanation, error) {
	if !gated(snap, ev, jobs) {
		return jobs, explained, nil
	}
	var reason string
	var err error
	if p.talk.Gate != nil {
		reason, err = p.talk.Gate.Hold(ctx, snap, ev)
	} else if assoc, fork, held := UntrustedFork(snap.Config, ev); held {
		// Without the GitHub App's credentials no approval can be read or
		// given: such pull requests stay held (pull_requests.untrusted: run
		// opts out).
		reason = HeldText(assoc, fork) + " (no GitHub App credentials: approvals cannot be read)"
	}
	var re *RetryableError
	switch {
	case errors.As(err, &re) || ctx.Err() != nil:
		return nil, nil, err
	case err != nil && reason == "":
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

// gated reports whether ev is a pull request event and some of jobs come
// from rules that run only for trusted authors.
func gated(snap *Snapshot, ev *rules.Event, jobs []actions.Job) bool {
	if ev.Event != "pull_request" {
		return false
	}
	for _, j := range jobs {
		if !ruleConfig(snap.Config, j.Rule).RunsUntrusted() {
			return true
		}
	}
	return false
}

// heldByPayload reports whether ev is a pull request event its payload
// alone holds (UntrustedFork), so that the Gate must look further (teams,
// an approval) through GitHub's API.
func heldByPayload(snap *Snapshot, ev *rules.Event) bool {
	_, _, held := UntrustedFork(snap.Config, ev)
	return held && ev.SHA != ""
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

// UntrustedFork reports whether ev is a pull_request event to hold as far
// as its payload tells: pull_requests.untrusted is hold, the author's
// author_association is not in commands.trusted nor their login in
// commands.users, and the head repository is not the base repository (a
// deleted fork counts as a fork). It returns the association ("NONE" when
// the payload has none) and the head repository's name. Membership of
// commands.teams needs the API: the Gate checks it.
func UntrustedFork(cfg *config.Config, ev *rules.Event) (assoc, fork string, held bool) {
	if cfg == nil || !cfg.PullRequests.Holds() || ev.Event != "pull_request" || ev.PullRequest == nil {
		return "", "", false
	}
	pr, _ := ev.Payload()["pull_request"].(map[string]any)
	assoc, _ = pr["author_association"].(string)
	if assoc == "" {
		assoc = "NONE"
	}
	head, _ := pr["head"].(map[string]any)
	repo, _ := head["repo"].(map[string]any)
	fork, _ = repo["full_name"].(string)
	switch {
	case fork == "":
		fork = "(deleted fork)"
	case strings.EqualFold(fork, ev.Repository.FullName):
		return "", "", false
	}
	for _, t := range cfg.Commands.Trusted {
		if strings.EqualFold(t, assoc) {
			return "", "", false
		}
	}
	for _, u := range cfg.Commands.Users {
		if strings.EqualFold(u, ev.PullRequest.Author) {
			return "", "", false
		}
	}
	return assoc, fork, true
}

// HeldText is the explanation of a held event.
func HeldText(assoc, fork string) string {
	return fmt.Sprintf("held: author %s from fork %s; waiting for /ok-to-test", assoc, fork)
}
