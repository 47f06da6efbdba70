package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// Conversation turns the deliveries in which people talk to Switchboard
// (comment commands, re-runs asked for from the Checks tab) into jobs.
// The commands package implements it.
type Conversation interface {
	// Jobs returns the jobs ev asks for (none for any other delivery). An
	// error marked Retryable means nothing was done yet and the delivery
	// is worth another try; any other error is reported with the jobs.
	Jobs(ctx context.Context, snap *Snapshot, ev *rules.Event) ([]actions.Job, error)
	// Involves reports whether Jobs may do anything for ev. It looks at ev
	// only: a delivery it says no to is decided without the Conversation.
	Involves(ev *rules.Event) bool
}

// RetryableError is a Conversation failure before any effect: the
// delivery is processed again later.
type RetryableError struct{ Err error }

// Error says what failed.
func (e *RetryableError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RetryableError) Unwrap() error { return e.Err }

// Heads records the newest event of the work of rules with supersede:
// true. The store implements it.
type Heads interface {
	ClaimHead(ctx context.Context, rule, key string, h store.Head) (store.Head, error)
	CurrentHead(ctx context.Context, rule, key string) (*store.Head, error)
}

// SelfLogin gives the login of the App's own bot account.
type SelfLogin interface {
	Login(ctx context.Context) (string, error)
}

// Talk is what the processor needs for conversations, superseding and
// loop safety; every field may be nil.
type Talk struct {
	Conversation Conversation
	Heads        Heads
	Self         SelfLogin
	Gate         Gate // holds untrusted fork pull requests (gate.go)
}

// WithTalk makes p answer conversations, supersede work and drop
// deliveries caused by the App itself (see Talk), and returns p.
func (p *Processor) WithTalk(t Talk) *Processor {
	p.talk = t
	return p
}

// evaluate matches the rules (dropping, for a delivery the App's own bot
// caused, every rule without allow_self), adds the jobs a conversation
// asks for, and claims the head of every superseding rule's work. It
// returns the jobs and each rule's explanation with the errors reported
// beside them, or retry: an error after which the whole delivery is tried
// again.
//
// Offline, evaluate calls nothing outside the process: where deciding
// would need GitHub's API or a store write (a pull request's files, a
// repository's rules, the App's bot login, a fork's approval, a
// conversation, a superseding rule's head), it returns retry wrapping
// errNeedsAPI instead (see Decide).
func (p *Processor) evaluate(ctx context.Context, snap *Snapshot, ev *rules.Event, log *logrus.Entry, offline bool) (jobs []actions.Job, explained []rules.Explanation, evalErr, retry error) {
	files := p.files
	if offline && files != nil {
		files = offlineFiles{}
	}
	if offline && (p.repo != nil && snap.Config != nil && snap.Config.RepoRules.Enabled ||
		p.talk.Self != nil && ev.SenderType == "Bot" ||
		p.talk.Conversation != nil && p.talk.Conversation.Involves(ev)) {
		return nil, nil, nil, errNeedsAPI
	}
	jobs, explained, evalErr = snap.Rules.Explain(ctx, ev, files)
	var listErr *rules.FileListError
	if evalErr != nil && (ctx.Err() != nil || errors.As(evalErr, &listErr)) {
		return nil, nil, nil, evalErr
	}
	rjobs, rex, rerr, retry := p.repoExplain(ctx, snap, ev)
	if retry != nil {
		return nil, nil, nil, retry
	}
	jobs, explained, evalErr = append(jobs, rjobs...), append(explained, rex...), errors.Join(evalErr, rerr)
	self, err := p.fromSelf(ctx, ev)
	if err != nil {
		return nil, nil, nil, err
	}
	if self {
		kept := jobs[:0]
		for _, j := range jobs {
			if rc := ruleConfig(snap.Config, j.Rule); rc != nil && rc.AllowSelf {
				kept = append(kept, j)
			}
		}
		if dropped := len(jobs) - len(kept); dropped > 0 {
			log.WithField("dropped", dropped).Info("delivery caused by the App itself; only rules with allow_self run")
		}
		jobs = kept
		explained = markSelf(snap.Config, explained)
	}
	if offline && (p.talk.Gate != nil && gated(snap, ev, jobs) && heldByPayload(snap, ev) || p.talk.Heads != nil && p.supersedes(snap.Config, ev, jobs)) {
		return nil, nil, nil, errNeedsAPI
	}
	if jobs, explained, err = p.gate(ctx, snap, ev, jobs, explained); err != nil {
		var re *RetryableError
		if errors.As(err, &re) || ctx.Err() != nil {
			return nil, nil, nil, err
		}
		evalErr = errors.Join(evalErr, err)
	}
	if p.talk.Conversation != nil && !self {
		more, err := p.talk.Conversation.Jobs(ctx, snap, ev)
		var re *RetryableError
		if errors.As(err, &re) {
			return nil, nil, nil, err
		}
		jobs = append(jobs, more...)
		evalErr = errors.Join(evalErr, err)
	}
	if err := p.claimHeads(ctx, snap.Config, ev, jobs); err != nil {
		return nil, nil, nil, err
	}
	return jobs, explained, evalErr, nil
}

// markSelf turns every matched rule without allow_self into one that did
// not match, with the reason as its last condition, so that the history
// says why a delivery the App itself caused ran nothing.
func markSelf(cfg *config.Config, explained []rules.Explanation) []rules.Explanation {
	for i, ex := range explained {
		if !ex.Matched {
			continue
		}
		if rc := ruleConfig(cfg, ex.Rule); rc != nil && rc.AllowSelf {
			continue
		}
		explained[i].Matched = false
		explained[i].Conditions = append(explained[i].Conditions, rules.Condition{
			Condition: "allow_self", OK: false,
			Detail: "sender is the App's own bot account; only rules with allow_self: true run",
		})
	}
	return explained
}

// fromSelf reports whether the App's own bot account sent ev. Only a
// sender of type Bot is looked at, so people's deliveries never wait on
// the look-up; a failed look-up retries the delivery rather than risk a
// loop.
func (p *Processor) fromSelf(ctx context.Context, ev *rules.Event) (bool, error) {
	if p.talk.Self == nil || ev.SenderType != "Bot" {
		return false, nil
	}
	login, err := p.talk.Self.Login(ctx)
	if err != nil {
		return false, fmt.Errorf("find the App's bot account: %w", err)
	}
	return strings.EqualFold(login, ev.Sender), nil
}

func ruleConfig(cfg *config.Config, name string) *config.Rule {
	if cfg == nil {
		return nil
	}
	for _, r := range cfg.Rules {
		if r != nil && r.Name == name {
			return r
		}
	}
	return nil
}

// claimHeads marks the jobs of rules with supersede: true
// (supersedingRule) and records ev as the newest work of each such rule,
// when it is.
func (p *Processor) claimHeads(ctx context.Context, cfg *config.Config, ev *rules.Event, jobs []actions.Job) error {
	if p.talk.Heads == nil {
		return nil
	}
	var (
		key  string
		head store.Head
		ok   bool
	)
	claimed := map[string]bool{}
	for i := range jobs {
		j := &jobs[i]
		rc := supersedingRule(cfg, j)
		if rc == nil {
			continue
		}
		if key == "" {
			// Only now the head: it reads the payload's maps, which most
			// deliveries never need.
			if key, head, ok = supersedeHead(ev, p.now); !ok {
				return nil
			}
		}
		j.Supersede = &actions.SupersedeJob{Key: key, AbortRunning: rc.AbortRunning}
		if claimed[j.Rule] {
			continue
		}
		claimed[j.Rule] = true
		if _, err := p.talk.Heads.ClaimHead(ctx, j.Rule, key, head); err != nil {
			return fmt.Errorf("claim the newest work of rule %s: %w", j.Rule, err)
		}
	}
	return nil
}

// supersedeHead is the work key and head of ev: "push:owner/repo:branch"
// for a push to a branch, "pr:owner/repo#N" for a pull request event. The
// time is the event's own (push: repository.pushed_at; pull request:
// pull_request.updated_at), so the order of delivery does not matter.
func supersedeHead(ev *rules.Event, now func() time.Time) (string, store.Head, bool) {
	h := store.Head{Delivery: ev.Delivery, SHA: ev.SHA}
	h.Before, _ = ev.Payload()["before"].(string)
	var key string
	switch {
	case ev.Event == "push" && ev.Branch != "" && strings.Trim(ev.SHA, "0") != "":
		key = "push:" + ev.Repository.FullName + ":" + ev.Branch
		repo, _ := ev.Payload()["repository"].(map[string]any)
		switch v := repo["pushed_at"].(type) {
		case int64:
			h.At = time.Unix(v, 0)
		case float64:
			h.At = time.Unix(int64(v), 0)
		}
		if h.At.IsZero() {
			hc, _ := ev.Payload()["head_commit"].(map[string]any)
			h.At = parseTime(hc["timestamp"])
		}
	case ev.Event == "pull_request" && ev.PullRequest != nil && ev.SHA != "":
		key = fmt.Sprintf("pr:%s#%d", ev.Repository.FullName, ev.PullRequest.Number)
		pr, _ := ev.Payload()["pull_request"].(map[string]any)
		h.At = parseTime(pr["updated_at"])
	default:
		return "", store.Head{}, false
	}
	if h.At.IsZero() {
		h.At = now()
	}
	return key, h, true
}

func parseTime(v any) time.Time {
	s, _ := v.(string)
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// supersededBy returns the newer head's SHA when job's work has been
// superseded, or "".
func supersededBy(ctx context.Context, heads Heads, job *actions.Job) (string, error) {
	if heads == nil || job.Supersede == nil {
		return "", nil
	}
	h, err := heads.CurrentHead(ctx, job.Rule, job.Supersede.Key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if h.Delivery == job.Delivery || h.SHA == job.Target.SHA {
		return "", nil
	}
	return h.SHA, nil
}

// superseded records job as cancelled, and reports it so, when a newer
// event superseded it before it ran. done is true when it was.
func (r *Runner) superseded(ctx context.Context, a RunActionArgs, attempt int, log *logrus.Entry) (bool, error) {
	by, err := supersededBy(ctx, r.heads, &a.Job)
	if err != nil || by == "" {
		return false, err
	}
	why := actions.SupersededText(by)
	if err := r.live.Load().Actions.ReportSuperseded(ctx, &a.Job, by); err != nil {
		return false, fmt.Errorf("report %s: %w", why, err)
	}
	out := store.Outcome{Delivery: a.Delivery, Rule: a.Rule, Index: a.Index, Kind: a.Job.Kind,
		State: store.OutcomeCancelled, Attempts: attempt - 1, LastError: why}
	if err := r.queue.RecordOutcome(ctx, out); err != nil {
		return false, fmt.Errorf("record outcome: %w", err)
	}
	log.WithField(logfield.Outcome, store.OutcomeCancelled).WithField("reason", why).Info("action not run: " + why)
	return true, nil
}

// WithHeads makes r skip (and f cancel) the work of superseded events,
// and returns r.
func (r *Runner) WithHeads(h Heads) *Runner {
	r.heads = h
	return r
}

// WithHeads makes f cancel the builds of superseded events, and returns f.
func (f *Follow) WithHeads(h Heads) *Follow {
	f.heads = h
	return f
}
