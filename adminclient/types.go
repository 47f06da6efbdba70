package adminclient

import (
	"encoding/json"
	"time"
)

// Statuses are the delivery statuses the API reports and filters on, in
// the order it decides them (docs/api.md).
func Statuses() []string {
	return []string{"queued", "running", "failed", "error", "succeeded", "no_match"}
}

// ActionCounts is how many of a delivery's actions are in each state.
type ActionCounts struct {
	Queued    int `json:"queued"`
	Running   int `json:"running"`
	Retrying  int `json:"retrying"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

// Total is the number of actions counted.
func (c ActionCounts) Total() int {
	return c.Queued + c.Running + c.Retrying + c.Succeeded + c.Failed + c.Cancelled
}

// Summary is one delivery in a list.
type Summary struct {
	ID           string       `json:"id"`
	Event        string       `json:"event"`
	Action       string       `json:"action"`
	Repo         string       `json:"repo"`
	Sender       string       `json:"sender"`
	ReceivedAt   time.Time    `json:"received_at"`
	Status       string       `json:"status"`
	ReplayOf     string       `json:"replay_of"`
	RulesMatched int          `json:"rules_matched"`
	Actions      ActionCounts `json:"actions"`
}

// Page is one answer of GET /api/v1/deliveries.
type Page struct {
	Deliveries []Summary `json:"deliveries"`
	NextCursor string    `json:"next_cursor"`
	// Raw is the answer as the server wrote it.
	Raw json.RawMessage `json:"-"`
}

// Condition is one checked condition of a rule.
type Condition struct {
	Condition string `json:"condition"`
	OK        bool   `json:"ok"`
	Detail    string `json:"detail"`
}

// Rule is one rule's verdict on a delivery.
type Rule struct {
	Name       string      `json:"name"`
	Matched    bool        `json:"matched"`
	Conditions []Condition `json:"conditions"`
}

// Attempt is one run of an action.
type Attempt struct {
	N          int       `json:"n"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error,omitempty"`
}

// Action is one action a delivery's rules asked for.
type Action struct {
	ID            string            `json:"id"`
	Rule          string            `json:"rule"`
	Kind          string            `json:"kind"`
	Index         int               `json:"index"`
	State         string            `json:"state"`
	Params        json.RawMessage   `json:"params,omitempty"`
	Attempts      []Attempt         `json:"attempts"`
	NextAttemptAt *time.Time        `json:"next_attempt_at"`
	Links         map[string]string `json:"links,omitempty"`
}

// Detail is the answer of GET /api/v1/deliveries/{id}.
type Detail struct {
	Summary
	// ActionsCount holds the six counts; Actions is the list here.
	ActionsCount ActionCounts      `json:"actions_count"`
	ProcessedAt  *time.Time        `json:"processed_at"`
	ProcessError string            `json:"process_error"`
	Headers      map[string]string `json:"headers,omitempty"`
	Payload      json.RawMessage   `json:"payload,omitempty"`
	Rules        []Rule            `json:"rules"`
	Actions      []Action          `json:"actions"`
	// Raw is the answer as the server wrote it.
	Raw json.RawMessage `json:"-"`
}

// Replayed is the answer of POST /api/v1/deliveries/{id}/replay.
type Replayed struct {
	Delivery string `json:"delivery"`
	ReplayOf string `json:"replay_of"`
	// Raw is the answer as the server wrote it.
	Raw json.RawMessage `json:"-"`
}

// Filter narrows a list of deliveries; empty fields do not filter.
type Filter struct {
	Repo, Event, Status, Q string
	Limit                  int
	Cursor                 string
}
