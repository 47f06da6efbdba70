// Package logfield names the structured log fields every package uses, so a
// query over the logs finds the same key everywhere.
package logfield

// Log field names.
const (
	Delivery  = "delivery"
	Event     = "event"
	Action    = "action" // the webhook payload's action, e.g. "opened"
	Repo      = "repo"
	Rule      = "rule"
	Kind      = "kind" // the action kind: jenkins, slack, ...
	Attempt   = "attempt"
	Outcome   = "outcome"
	Status    = "status"
	Duration  = "duration"
	Component = "component"
)
