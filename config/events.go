package config

// The GitHub webhook events a rule may name under on:. This is the one list;
// the README's rule reference and `switchboard validate` follow it. An event
// is written alone (push) or with one of its actions (pull_request.opened).
// Events whose payload carries no "action" field (push, ping, create, delete,
// status) cannot take an action suffix: such a rule would never match.
//
// See https://docs.github.com/en/webhooks/webhook-events-and-payloads.
func eventTable() []struct {
	name       string
	hasActions bool
} {
	return []struct {
		name       string
		hasActions bool
	}{
		{"push", false},
		{"pull_request", true},
		{"issues", true},
		{"issue_comment", true},
		{"ping", false},
		{"installation", true},
		{"installation_repositories", true},
		{"create", false},
		{"delete", false},
		{"release", true},
		{"workflow_run", true},
		{"check_run", true},
		{"check_suite", true},
		{"status", false},
		{"pull_request_review", true},
		{"pull_request_review_comment", true},
	}
}

// Events returns the names of the GitHub events a rule may listen to, in the
// order the documentation lists them. The slice is the caller's to keep.
func Events() []string {
	t := eventTable()
	out := make([]string, len(t))
	for i, e := range t {
		out[i] = e.name
	}
	return out
}

// KnownEvent reports whether name is an event a rule may listen to, and
// whether that event's payload has an action (so on: may say name.action).
func KnownEvent(name string) (known, hasActions bool) {
	for _, e := range eventTable() {
		if e.name == name {
			return true, e.hasActions
		}
	}
	return false, false
}

// ActionKinds returns the action kinds a do: item may name, in the order of
// the Action struct's fields. The slice is the caller's to keep.
func ActionKinds() []string {
	return []string{"jenkins", "slack", "comment", "label", "status", "http", "log"}
}

// Kind returns the name of the one kind set in a ("jenkins", "slack", ...),
// or "" when none is. A loaded Config has exactly one set in every action.
func (a *Action) Kind() string {
	if a == nil {
		return ""
	}
	switch {
	case a.Jenkins != nil:
		return "jenkins"
	case a.Slack != nil:
		return "slack"
	case a.Comment != nil:
		return "comment"
	case a.Label != nil:
		return "label"
	case a.Status != nil:
		return "status"
	case a.HTTP != nil:
		return "http"
	case a.Log != nil:
		return "log"
	}
	return ""
}
