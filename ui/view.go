package ui

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/adminclient"
)

// badge shows a state with an icon and a word, so that it reads without
// colour; Class only adds the colour.
type badge struct{ Icon, Text, Class string }

func badgeOf(state string) badge {
	switch state {
	case "succeeded":
		return badge{"✓", "succeeded", "ok"}
	case "failed":
		return badge{"✗", "failed", "bad"}
	case "error":
		return badge{"⚠", "error", "bad"}
	case "running":
		return badge{"⟳", "running", "run"}
	case "queued":
		return badge{"◷", "queued", "wait"}
	case "retrying":
		return badge{"↻", "retrying", "warn"}
	case "cancelled":
		return badge{"⊘", "cancelled", "muted"}
	case "no_match":
		return badge{"–", "no match", "muted"}
	}
	return badge{"•", state, "muted"}
}

var funcs = template.FuncMap{
	"badge":       badgeOf,
	"deliveryURL": deliveryURL,
	"pathEscape":  url.PathEscape,
}

// when is a time shown relative to now, with the exact time beside it.
type when struct{ Rel, ISO, Exact string }

func whenOf(t time.Time, now time.Time) when {
	if t.IsZero() {
		return when{Rel: "—"}
	}
	return when{Rel: adminclient.Relative(t, now), ISO: t.UTC().Format(time.RFC3339), Exact: t.UTC().Format("2006-01-02 15:04:05 UTC")}
}

// listView is the data of the list page.
type listView struct {
	Filter   adminclient.Filter
	Statuses []string
	Rows     []rowView
	Older    string // the next page's URL, "" on the last
	RowsURL  string // what the page fetches to refresh itself
	PollMS   int
	PollText string // PollMS for people: "3s"
	Live     bool   // refreshing (only the first page does)
	Error    string
	CSRF     string
	LoggedIn bool
}

// rowView is one delivery in the list.
type rowView struct {
	ID, URL, Event, Repo, Sender string
	Received                     when
	Badge                        badge
	ReplayOf, ReplayURL          string
	Rules                        int
	Actions                      string
}

func (u *UI) rowsOf(ds []adminclient.Summary) []rowView {
	now := u.o.Now()
	out := make([]rowView, 0, len(ds))
	for _, d := range ds {
		ev := d.Event
		if d.Action != "" {
			ev += "." + d.Action
		}
		r := rowView{ID: d.ID, URL: deliveryURL(d.ID), Event: ev, Repo: d.Repo, Sender: d.Sender,
			Received: whenOf(d.ReceivedAt, now), Badge: badgeOf(d.Status), Rules: d.RulesMatched,
			Actions: d.Actions.String()}
		if d.ReplayOf != "" {
			r.ReplayOf, r.ReplayURL = d.ReplayOf, deliveryURL(d.ReplayOf)
		}
		out = append(out, r)
	}
	return out
}

// detailView is the data of a delivery's page.
type detailView struct {
	D            *adminclient.Detail
	Title        string
	Badge        badge
	Received     when
	Processed    when
	ReplayURL    string
	Rules        []ruleView
	Actions      []actionView
	Headers      [][2]string
	GitHub       []link
	Payload      *node
	PayloadNodes int
	Truncated    bool
	Live         bool // still changing: the page refreshes its parts
	Notice       string
	CSRF         string
	LoggedIn     bool
}

// ruleView is one rule's verdict.
type ruleView struct {
	Name       string
	Matched    bool
	Conditions []adminclient.Condition
	FailedAt   string // the condition that failed, "" when matched
}

// actionView is one action with its attempts.
type actionView struct {
	A        adminclient.Action
	Badge    badge
	Params   string
	Attempts []attemptView
	Next     when
	HasNext  bool
	Links    []link
	CanRetry bool
}

type attemptView struct {
	N        int
	Started  when
	Duration string
	Badge    badge
	Error    string
}

// link is a labelled outside URL (http or https only).
type link struct{ Label, URL string }

var linkLabels = map[string]string{
	"jenkins_build":      "Jenkins build",
	"jenkins_queue_item": "Jenkins queue item",
	"comment":            "GitHub comment",
	"commit":             "GitHub commit",
}

func (u *UI) detailOf(d *adminclient.Detail) detailView {
	now := u.o.Now()
	v := detailView{D: d, Badge: badgeOf(d.Status), Received: whenOf(d.ReceivedAt, now)}
	v.Title = d.Event
	if d.Action != "" {
		v.Title += "." + d.Action
	}
	if d.ProcessedAt != nil {
		v.Processed = whenOf(*d.ProcessedAt, now)
	}
	if d.ReplayOf != "" {
		v.ReplayURL = deliveryURL(d.ReplayOf)
	}
	v.Live = d.Status == "queued" || d.Status == "running"
	for _, r := range d.Rules {
		rv := ruleView{Name: r.Name, Matched: r.Matched, Conditions: r.Conditions}
		if !r.Matched {
			for _, c := range r.Conditions {
				if !c.OK {
					rv.FailedAt = c.Condition
				}
			}
		}
		v.Rules = append(v.Rules, rv)
	}
	for _, a := range d.Actions {
		av := actionView{A: a, Badge: badgeOf(a.State), Params: pretty(a.Params),
			CanRetry: a.State == "failed" || a.State == "cancelled"}
		if a.NextAttemptAt != nil {
			av.Next, av.HasNext = whenOf(*a.NextAttemptAt, now), true
		}
		for _, t := range a.Attempts {
			av.Attempts = append(av.Attempts, attemptView{N: t.N, Started: whenOf(t.StartedAt, now),
				Duration: adminclient.Duration(t.DurationMS), Badge: badgeOf(t.Outcome), Error: t.Error})
		}
		keys := make([]string, 0, len(a.Links))
		for k := range a.Links {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if l, ok := outside(labelOf(k), a.Links[k]); ok {
				av.Links = append(av.Links, l)
			}
		}
		v.Actions = append(v.Actions, av)
	}
	for _, k := range []string{"event", "delivery", "hook_id", "user_agent"} {
		if val, ok := d.Headers[k]; ok {
			v.Headers = append(v.Headers, [2]string{k, val})
		}
	}
	v.GitHub = githubLinks(d.Payload)
	v.Payload, v.PayloadNodes, v.Truncated = tree(d.Payload, maxNodes)
	return v
}

func labelOf(key string) string {
	if l, ok := linkLabels[key]; ok {
		return l
	}
	return strings.ReplaceAll(key, "_", " ")
}

// outside keeps a URL only when it is http or https: a payload is written by
// GitHub users, and a javascript: URL must never become a link.
func outside(label, raw string) (link, bool) {
	p, err := url.Parse(raw)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return link{}, false
	}
	return link{Label: label, URL: p.String()}, true
}

// githubLinks picks the GitHub pages a payload names.
func githubLinks(payload json.RawMessage) []link {
	var p struct {
		Repository *struct {
			HTMLURL string `json:"html_url"`
		} `json:"repository"`
		PullRequest *struct {
			HTMLURL string `json:"html_url"`
		} `json:"pull_request"`
		Issue *struct {
			HTMLURL string `json:"html_url"`
		} `json:"issue"`
		Comment *struct {
			HTMLURL string `json:"html_url"`
		} `json:"comment"`
		Compare string `json:"compare"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	var out []link
	add := func(label, u string) {
		if l, ok := outside(label, u); ok {
			out = append(out, l)
		}
	}
	if p.PullRequest != nil {
		add("Pull request on GitHub", p.PullRequest.HTMLURL)
	}
	if p.Issue != nil {
		add("Issue on GitHub", p.Issue.HTMLURL)
	}
	if p.Comment != nil {
		add("Comment on GitHub", p.Comment.HTMLURL)
	}
	add("Compare on GitHub", p.Compare)
	if p.Repository != nil {
		add("Repository on GitHub", p.Repository.HTMLURL)
	}
	return out
}

// pretty indents JSON for reading; "" for none.
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	return adminclient.FormatJSON(raw, "  ")
}

func asAPIError(err error, target **adminclient.APIError) bool { return errors.As(err, target) }
