package rules

import (
	"fmt"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/config"
)

// Event is the view of one webhook delivery that conditions and templates
// see. go-github's types stop at NewEvent: nothing past it depends on them.
//
// Which fields an event carries:
//
//	field        push             pull_request      issues   issue_comment        others
//	Action       -                yes               yes      yes                  when sent
//	Ref          refs/heads|tags  -                 -        -                    -
//	Branch       pushed branch    PR head branch    -        -                    -
//	Tag          pushed tag       -                 -        -                    -
//	SHA          after            head SHA          -        -                    -
//	PullRequest  nil              yes               nil*     on a PR: partial*    nil
//	Issue        nil              nil               yes      yes                  nil
//	Comment      nil              nil               nil      yes                  nil
//	Commits      yes              -                 -        -                    -
//
// Repository is filled wherever the payload has a repository (installation
// events have none); Sender and Installation wherever the payload has them.
//
// (*) An issue_comment (or issues event) on a pull request fills PullRequest
// from the issue: Number, Title, HTMLURL, Labels, Author, and Draft when the
// payload says; Base and Head are empty because the payload does not carry
// them, so base:, head: and branches: do not match such events, and draft:
// matches only when the payload gave the draft flag.
type Event struct {
	Event        string // the X-GitHub-Event name, such as "push", or a source's, such as "stripe.invoice.paid"
	Source       string // where the event came from: "github", "stripe" or "slack"
	Action       string // the payload's action, such as "opened"; empty for push
	Delivery     string // X-GitHub-Delivery
	Installation int64  // the GitHub App installation ID, 0 when absent
	Repository   Repository
	Sender       string // login of the user who caused the event
	SenderType   string // the sender's account type: "User", "Bot" or "Organization"
	Ref          string // push: the full ref, such as refs/heads/main
	Branch       string // push: the pushed branch; pull_request: the head branch
	Tag          string // push of a tag: the tag name
	SHA          string // push: after; pull_request: the head SHA
	ShortSHA     string // the first 7 characters of SHA
	PullRequest  *PullRequest
	Issue        *Issue
	Comment      *Comment
	Commits      []Commit

	raw *rawPayload // the payload, as maps on first use (Payload)
}

// Repository is the repository an event is about.
type Repository struct {
	FullName      string // owner/name
	Owner         string
	Name          string
	HTMLURL       string
	DefaultBranch string
}

// PullRequest is the pull request an event is about.
type PullRequest struct {
	Number  int
	Title   string
	HTMLURL string
	Base    string // base branch name
	Head    string // head branch name
	Draft   bool
	Labels  []string
	Author  string // login of the pull request's author

	// draftUnknown is set when the view was built from an issue whose
	// payload did not say whether the pull request is a draft.
	draftUnknown bool
}

// Issue is the issue an event is about. For an issue_comment on a pull
// request it is the pull request's issue.
type Issue struct {
	Number  int
	Title   string
	HTMLURL string
	Labels  []string
	Author  string
}

// Comment is the comment of an issue_comment event.
type Comment struct {
	Body   string
	Author string
}

// Commit is one commit of a push.
type Commit struct {
	ID       string
	Message  string
	Author   string // the author's GitHub login when known, else the git author name
	URL      string
	Added    []string
	Removed  []string
	Modified []string
}

// NewEvent builds the view of one delivery from its event name, delivery ID
// and JSON payload. It fails when the payload is not a JSON object, or when a
// known event's payload has the wrong shape (a field of the wrong type). An
// event that NewEvent does not know gets Payload, Action, Installation,
// Repository and Sender where the payload has them.
func NewEvent(name, delivery string, payload []byte) (*Event, error) {
	if name == "" {
		return nil, fmt.Errorf("event name is empty")
	}
	ev := &Event{Event: name, Source: config.SourceOf(name), Delivery: delivery}
	typed := typedEvent(name)
	if typed == nil {
		raw, err := decodePayload(payload)
		if err != nil {
			return nil, fmt.Errorf("%s payload: %w", name, err)
		}
		ev.raw = &rawPayload{m: raw}
		fillGeneric(ev, raw)
		return ev, nil
	}
	err := jsonv2.Unmarshal(payload, typed, jsonOptions)
	if err != nil || !isObject(payload) {
		// decodePayload's answer comes first, as it always has: "not valid
		// JSON" before a field of the wrong type. It also refuses what the
		// typed parse lets by, such as null.
		if _, rawErr := decodePayload(payload); rawErr != nil {
			err = rawErr
		}
		return nil, fmt.Errorf("%s payload: %w", name, err)
	}
	// The typed parse has checked the whole payload (syntax, trailing
	// data) with the options decodePayload uses, so the maps cannot fail
	// later; they are built on first use only.
	ev.raw = &rawPayload{data: payload}
	switch p := typed.(type) {
	case *github.PushEvent:
		fromPush(ev, p)
	case *github.PullRequestEvent:
		fromPullRequest(ev, p)
	case *github.IssuesEvent:
		ev.Action = p.GetAction()
		ev.Installation = p.GetInstallation().GetID()
		ev.Repository = repository(p.GetRepo())
		setSender(ev, p.GetSender())
		fromIssue(ev, p.GetIssue())
	case *github.IssueCommentEvent:
		ev.Action = p.GetAction()
		ev.Installation = p.GetInstallation().GetID()
		ev.Repository = repository(p.GetRepo())
		setSender(ev, p.GetSender())
		fromIssue(ev, p.GetIssue())
		if c := p.GetComment(); c != nil {
			ev.Comment = &Comment{Body: c.GetBody(), Author: c.GetUser().GetLogin()}
		}
	case *github.PingEvent:
		ev.Installation = p.GetInstallation().GetID()
		ev.Repository = repository(p.GetRepo())
		setSender(ev, p.GetSender())
	case *github.InstallationEvent:
		ev.Action = p.GetAction()
		ev.Installation = p.GetInstallation().GetID()
		setSender(ev, p.GetSender())
	case *github.InstallationRepositoriesEvent:
		ev.Action = p.GetAction()
		ev.Installation = p.GetInstallation().GetID()
		setSender(ev, p.GetSender())
	default:
		return nil, fmt.Errorf("%s payload: unexpected parsed type %T", name, typed)
	}
	ev.ShortSHA = shortSHA(ev.SHA)
	return ev, nil
}

// setSender fills the view's sender from the payload's.
func setSender(ev *Event, u *github.User) {
	ev.Sender, ev.SenderType = u.GetLogin(), u.GetType()
}

// typedEvent is a new value of go-github's type for the event name, which
// NewEvent decodes the payload into as github.ParseWebHook would, with
// encoding/json's rules (jsonOptions); nil for an event it has no type
// for, which gets Payload and the fields every payload shares.
func typedEvent(name string) any {
	switch name {
	case "push":
		return &github.PushEvent{}
	case "pull_request":
		return &github.PullRequestEvent{}
	case "issues":
		return &github.IssuesEvent{}
	case "issue_comment":
		return &github.IssueCommentEvent{}
	case "ping":
		return &github.PingEvent{}
	case "installation":
		return &github.InstallationEvent{}
	case "installation_repositories":
		return &github.InstallationRepositoriesEvent{}
	}
	return nil
}

func fromPush(ev *Event, p *github.PushEvent) {
	ev.Action = p.GetAction()
	ev.Installation = p.GetInstallation().GetID()
	if r := p.GetRepo(); r != nil {
		owner := r.GetOwner().GetLogin()
		if owner == "" {
			owner = r.GetOwner().GetName()
		}
		ev.Repository = Repository{
			FullName:      r.GetFullName(),
			Owner:         owner,
			Name:          r.GetName(),
			HTMLURL:       r.GetHTMLURL(),
			DefaultBranch: r.GetDefaultBranch(),
		}
	}
	setSender(ev, p.GetSender())
	ev.Ref = p.GetRef()
	switch {
	case strings.HasPrefix(ev.Ref, "refs/heads/"):
		ev.Branch = strings.TrimPrefix(ev.Ref, "refs/heads/")
	case strings.HasPrefix(ev.Ref, "refs/tags/"):
		ev.Tag = strings.TrimPrefix(ev.Ref, "refs/tags/")
	}
	ev.SHA = p.GetAfter()
	if len(p.Commits) > 0 {
		ev.Commits = make([]Commit, 0, len(p.Commits))
	}
	for _, c := range p.Commits {
		if c == nil {
			continue
		}
		author := c.GetAuthor().GetLogin()
		if author == "" {
			author = c.GetAuthor().GetName()
		}
		ev.Commits = append(ev.Commits, Commit{
			ID:       c.GetID(),
			Message:  c.GetMessage(),
			Author:   author,
			URL:      c.GetURL(),
			Added:    c.Added,
			Removed:  c.Removed,
			Modified: c.Modified,
		})
	}
}

func fromPullRequest(ev *Event, p *github.PullRequestEvent) {
	ev.Action = p.GetAction()
	ev.Installation = p.GetInstallation().GetID()
	ev.Repository = repository(p.GetRepo())
	setSender(ev, p.GetSender())
	pr := p.GetPullRequest()
	if pr == nil {
		return
	}
	number := pr.GetNumber()
	if number == 0 {
		number = p.GetNumber()
	}
	ev.PullRequest = &PullRequest{
		Number:  number,
		Title:   pr.GetTitle(),
		HTMLURL: pr.GetHTMLURL(),
		Base:    pr.GetBase().GetRef(),
		Head:    pr.GetHead().GetRef(),
		Draft:   pr.GetDraft(),
		Labels:  labelNames(pr.Labels),
		Author:  pr.GetUser().GetLogin(),
	}
	ev.Branch = ev.PullRequest.Head
	ev.SHA = pr.GetHead().GetSHA()
}

// fromIssue fills Issue and, when the issue is a pull request's, a partial
// PullRequest (see Event).
func fromIssue(ev *Event, is *github.Issue) {
	if is == nil {
		return
	}
	ev.Issue = &Issue{
		Number:  is.GetNumber(),
		Title:   is.GetTitle(),
		HTMLURL: is.GetHTMLURL(),
		Labels:  labelNames(is.Labels),
		Author:  is.GetUser().GetLogin(),
	}
	if is.PullRequestLinks == nil {
		return
	}
	url := is.PullRequestLinks.GetHTMLURL()
	if url == "" {
		url = ev.Issue.HTMLURL
	}
	ev.PullRequest = &PullRequest{
		Number:       ev.Issue.Number,
		Title:        ev.Issue.Title,
		HTMLURL:      url,
		Draft:        is.GetDraft(),
		Labels:       ev.Issue.Labels,
		Author:       ev.Issue.Author,
		draftUnknown: is.Draft == nil,
	}
}

func repository(r *github.Repository) Repository {
	if r == nil {
		return Repository{}
	}
	return Repository{
		FullName:      r.GetFullName(),
		Owner:         r.GetOwner().GetLogin(),
		Name:          r.GetName(),
		HTMLURL:       r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(),
	}
}

func labelNames(ls []*github.Label) []string {
	if len(ls) == 0 {
		return nil
	}
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		if n := l.GetName(); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// fillGeneric reads the fields every payload shares from the decoded JSON of
// an event NewEvent has no go-github type for. A field of an unexpected type
// is left empty rather than failing the event: only Payload is promised.
func fillGeneric(ev *Event, raw map[string]any) {
	ev.Action, _ = raw["action"].(string)
	if inst, ok := raw["installation"].(map[string]any); ok {
		if id, ok := inst["id"].(int64); ok {
			ev.Installation = id
		}
	}
	if s, ok := raw["sender"].(map[string]any); ok {
		ev.Sender, _ = s["login"].(string)
		ev.SenderType, _ = s["type"].(string)
	}
	if r, ok := raw["repository"].(map[string]any); ok {
		ev.Repository.FullName, _ = r["full_name"].(string)
		ev.Repository.Name, _ = r["name"].(string)
		ev.Repository.HTMLURL, _ = r["html_url"].(string)
		ev.Repository.DefaultBranch, _ = r["default_branch"].(string)
		if o, ok := r["owner"].(map[string]any); ok {
			ev.Repository.Owner, _ = o["login"].(string)
		}
	}
}
