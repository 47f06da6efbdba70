package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// Outcomes reads recorded action outcomes; the store implements it.
type Outcomes interface {
	Outcome(ctx context.Context, delivery, rule string, idx int) (*store.Outcome, error)
}

// Handler answers comment commands and re-run requests. It implements
// pipeline.Conversation.
type Handler struct {
	gh       *githubapp.Creator
	outcomes Outcomes
	files    rules.FileLister
	log      *logrus.Entry
}

var _ pipeline.Conversation = (*Handler)(nil)

// New returns a Handler acting on GitHub as the App's installations.
// files may be nil (pull request paths are then unknown to /build).
func New(gh *githubapp.Creator, outcomes Outcomes, files rules.FileLister, log *logrus.Entry) *Handler {
	return &Handler{gh: gh, outcomes: outcomes, files: files, log: log}
}

// CommandText is what the delivery history says of a job a command
// queued: "command /retest by octocat (MEMBER)".
func CommandText(c Command, login, association string) string {
	name := c.Name
	if c.Arg != "" {
		name += " " + c.Arg
	}
	return fmt.Sprintf("command %s by %s (%s)", name, login, association)
}

// Involves implements pipeline.Conversation: comments, and re-runs asked
// for from the Checks tab.
func (h *Handler) Involves(ev *rules.Event) bool { return h.route(ev) != nil }

// Jobs implements pipeline.Conversation.
func (h *Handler) Jobs(ctx context.Context, snap *pipeline.Snapshot, ev *rules.Event) ([]actions.Job, error) {
	if talk := h.route(ev); talk != nil {
		return talk(ctx, snap, ev)
	}
	return nil, nil
}

// route is what answers ev as a conversation, nil when ev is none: one
// place decides both whether intake must leave ev to the worker
// (Involves) and what the worker then does (Jobs).
func (h *Handler) route(ev *rules.Event) func(context.Context, *pipeline.Snapshot, *rules.Event) ([]actions.Job, error) {
	switch {
	case ev.Event == "issue_comment":
		return h.comment
	case ev.Event == "check_run" && ev.Action == "rerequested":
		return func(ctx context.Context, _ *pipeline.Snapshot, ev *rules.Event) ([]actions.Job, error) {
			return h.rerunCheck(ctx, ev)
		}
	case ev.Event == "check_suite" && ev.Action == "rerequested":
		return func(ctx context.Context, _ *pipeline.Snapshot, ev *rules.Event) ([]actions.Job, error) {
			return h.rerunSuite(ctx, ev)
		}
	}
	return nil
}

// comment is one pull request comment in which people may give commands.
type comment struct {
	ev          *rules.Event
	gc          *github.Client
	owner, repo string
	number      int
	id          int64
	login       string
	association string
	log         *logrus.Entry
}

// comment answers issue_comment.created on a pull request. Edited and
// deleted comments, comments on issues and comments by bots do nothing.
func (h *Handler) comment(ctx context.Context, snap *pipeline.Snapshot, ev *rules.Event) ([]actions.Job, error) {
	if ev.Action != "created" {
		return nil, nil
	}
	issue, _ := ev.Payload()["issue"].(map[string]any)
	if _, onPR := issue["pull_request"].(map[string]any); !onPR || ev.PullRequest == nil || ev.PullRequest.Number <= 0 {
		return nil, nil
	}
	cm, _ := ev.Payload()["comment"].(map[string]any)
	user, _ := cm["user"].(map[string]any)
	body, _ := cm["body"].(string)
	cmds := Parse(body)
	if len(cmds) == 0 {
		return nil, nil
	}
	c := &comment{ev: ev, owner: ev.Repository.Owner, repo: ev.Repository.Name, number: ev.PullRequest.Number}
	c.login, _ = user["login"].(string)
	c.association, _ = cm["author_association"].(string)
	c.id = int64Of(cm["id"])
	c.log = h.log.WithFields(logrus.Fields{logfield.Delivery: ev.Delivery, logfield.Repo: ev.Repository.FullName, "pull_request": c.number, "author": c.login})
	if t, _ := user["type"].(string); t == "Bot" {
		c.log.Debug("comment by a bot: its commands are ignored")
		return nil, nil
	}
	gc, err := h.gh.Installation(ev.Installation)
	if err != nil {
		return nil, err
	}
	c.gc = gc
	cfg := snap.Config.Commands
	trusted, err := h.trusted(ctx, c, cfg)
	if err != nil {
		return nil, &pipeline.RetryableError{Err: fmt.Errorf("check who may run commands: %w", err)}
	}
	if !trusted {
		c.log.WithField("association", c.association).Info("commands from an author who may not run them; nothing runs")
		if !cfg.Replies() {
			return nil, nil
		}
		return nil, c.replyOnce(ctx, "untrusted", untrustedText(c.login, cfg))
	}
	pr, _, err := gc.PullRequests.Get(ctx, c.owner, c.repo, c.number)
	if err != nil {
		if retryable(err) {
			return nil, &pipeline.RetryableError{Err: fmt.Errorf("read pull request #%d: %w", c.number, err)}
		}
		return nil, fmt.Errorf("read pull request #%d: %w", c.number, err)
	}

	var (
		jobs    []actions.Job
		errs    []error
		known   bool
		unknown bool
	)
	for _, cmd := range cmds {
		known = known || cmd.Known
		unknown = unknown || !cmd.Known
	}
	if known {
		errs = append(errs, c.react(ctx, "eyes"))
	}
	if unknown {
		errs = append(errs, c.react(ctx, "confused"))
	}
	seen := map[string]bool{}
	for _, cmd := range cmds {
		why := CommandText(cmd, c.login, c.association)
		var got []actions.Job
		var err error
		switch cmd.Name {
		case Help:
			err = c.replyOnce(ctx, "help", helpText(cfg))
		case Build, Retest:
			got, err = h.rebuild(ctx, snap, c, pr, cmd)
		case Cancel:
			err = h.cancel(ctx, snap, c, pr.GetHead().GetSHA())
		case OkToTest:
			got, err = h.okToTest(ctx, snap, c, pr)
		default:
			c.log.WithField("command", cmd.Name).Info("unknown command")
			continue
		}
		c.log.WithFields(logrus.Fields{"command": cmd.Name, "jobs": len(got), "explanation": why}).Info(why)
		errs = append(errs, err)
		for _, j := range got {
			k := fmt.Sprintf("%s\x00%d", j.Rule, j.Index)
			if seen[k] {
				continue
			}
			seen[k] = true
			j.Why = why
			jobs = append(jobs, j)
		}
	}
	if len(jobs) > 0 {
		errs = append(errs, c.react(ctx, "+1"))
	}
	return jobs, errors.Join(errs...)
}

// rebuild renders the pull request rules for the pull request as it is
// now, as if it had just been synchronized: /build keeps every job (or the
// named rule's), /retest only the Jenkins builds whose last result on the
// head SHA was failure, error, cancelled or timed out.
func (h *Handler) rebuild(ctx context.Context, snap *pipeline.Snapshot, c *comment, pr *github.PullRequest, cmd Command) ([]actions.Job, error) {
	if cmd.Name == Build && cmd.Arg != "" && !listensToPR(snap.Config, cmd.Arg) {
		return nil, errors.Join(c.react(ctx, "confused"),
			c.replyOnce(ctx, "norule", fmt.Sprintf("@%s: there is no rule named `%s` on pull_request events; nothing was built.", c.login, cmd.Arg)))
	}
	ev, err := synchronized(c.ev, pr)
	if err != nil {
		return nil, err
	}
	jobs, evalErr := snap.Rules.Evaluate(ctx, ev, h.files)
	var listErr *rules.FileListError
	if errors.As(evalErr, &listErr) {
		return nil, evalErr
	}
	var kept []actions.Job
	var statuses *github.CombinedStatus
	for _, j := range jobs {
		switch {
		case cmd.Name == Build && cmd.Arg != "" && j.Rule != cmd.Arg:
			continue
		case cmd.Name == Retest:
			if j.Kind != "jenkins" || j.Jenkins == nil || !j.Jenkins.Report {
				continue
			}
			failed, err := lastFailed(ctx, c, j.Jenkins, ev.SHA, &statuses)
			if err != nil {
				return kept, errors.Join(evalErr, err)
			}
			if !failed {
				continue
			}
		}
		kept = append(kept, j)
	}
	return kept, evalErr
}

// trusted reports whether the comment's author may run commands.
func (h *Handler) trusted(ctx context.Context, c *comment, cfg config.Commands) (bool, error) {
	for _, t := range cfg.Trusted {
		if strings.EqualFold(t, c.association) {
			return true, nil
		}
	}
	for _, u := range cfg.Users {
		if strings.EqualFold(u, c.login) {
			return true, nil
		}
	}
	for _, team := range cfg.Teams {
		org, slug, _ := strings.Cut(team, "/")
		m, _, err := c.gc.Teams.GetTeamMembershipBySlug(ctx, org, slug, c.login)
		switch {
		case githubapp.StatusCode(err) == http.StatusNotFound:
			continue
		case err != nil:
			return false, fmt.Errorf("team %s: %w", team, err)
		case m.GetState() == "active":
			return true, nil
		}
	}
	return false, nil
}

// synchronized is the pull_request.synchronize event of pr as GitHub
// shows it now, from the comment event's repository, installation and
// sender; it keeps the comment's delivery ID.
func synchronized(ev *rules.Event, pr *github.PullRequest) (*rules.Event, error) {
	raw, err := json.Marshal(pr)
	if err != nil {
		return nil, err
	}
	payload := map[string]any{
		"action": "synchronize", "number": pr.GetNumber(), "pull_request": json.RawMessage(raw),
		"repository": ev.Payload()["repository"], "sender": ev.Payload()["sender"],
	}
	if inst, ok := ev.Payload()["installation"]; ok {
		payload["installation"] = inst
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return rules.NewEvent("pull_request", ev.Delivery, b)
}

// listensToPR reports whether a rule named name listens to pull_request.
func listensToPR(cfg *config.Config, name string) bool {
	for _, r := range cfg.Rules {
		if r == nil || r.Name != name {
			continue
		}
		for _, on := range r.On {
			if on == "pull_request" || on == "pull_request.synchronize" {
				return true
			}
		}
	}
	return false
}

// retryable reports whether a GitHub failure is worth another try: no
// answer, a rate limit, or a 5xx.
func retryable(err error) bool {
	s := githubapp.StatusCode(err)
	return s == 0 || s == http.StatusTooManyRequests || s == http.StatusForbidden || s >= 500
}

func int64Of(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
