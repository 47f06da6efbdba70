package admin

import (
	"encoding/json"
	"time"

	"github.com/switchboard-dev/switchboard/store"
)

// The JSON of docs/api.md. Every field is always present.

type counts struct {
	Queued    int `json:"queued"`
	Running   int `json:"running"`
	Retrying  int `json:"retrying"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

type summary struct {
	ID           string    `json:"id"`
	Event        string    `json:"event"`
	Action       string    `json:"action"`
	Repo         string    `json:"repo"`
	Sender       string    `json:"sender"`
	ReceivedAt   timestamp `json:"received_at"`
	Status       string    `json:"status"`
	ReplayOf     string    `json:"replay_of"`
	RulesMatched int       `json:"rules_matched"`
}

type listItem struct {
	summary
	Actions counts `json:"actions"`
}

type listReply struct {
	Deliveries []listItem `json:"deliveries"`
	NextCursor string     `json:"next_cursor"`
}

type headers struct {
	Event     string `json:"event"`
	Delivery  string `json:"delivery"`
	HookID    string `json:"hook_id"`
	UserAgent string `json:"user_agent"`
}

type condition struct {
	Condition string `json:"condition"`
	OK        bool   `json:"ok"`
	Detail    string `json:"detail"`
}

type ruleReply struct {
	Name       string      `json:"name"`
	Matched    bool        `json:"matched"`
	Conditions []condition `json:"conditions"`
}

type attempt struct {
	N          int       `json:"n"`
	StartedAt  timestamp `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error"`
}

type actionReply struct {
	ID            string            `json:"id"`
	Rule          string            `json:"rule"`
	Kind          string            `json:"kind"`
	Index         int               `json:"index"`
	State         string            `json:"state"`
	Params        json.RawMessage   `json:"params"`
	Attempts      []attempt         `json:"attempts"`
	NextAttemptAt timestamp         `json:"next_attempt_at"`
	Links         map[string]string `json:"links"`
}

type detailReply struct {
	summary
	ActionsCount counts          `json:"actions_count"`
	ProcessedAt  timestamp       `json:"processed_at"`
	ProcessError string          `json:"process_error"`
	Headers      headers         `json:"headers"`
	Payload      json.RawMessage `json:"payload"`
	Rules        []ruleReply     `json:"rules"`
	Actions      []actionReply   `json:"actions"`
}

type replayReply struct {
	Delivery string `json:"delivery"`
	ReplayOf string `json:"replay_of"`
}

type retryReply struct {
	Action string `json:"action"`
	State  string `json:"state"`
}

// timestamp is RFC 3339 with nanoseconds in UTC, or null when zero.
type timestamp time.Time

// MarshalJSON writes the time or null.
func (t timestamp) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format(time.RFC3339Nano) + `"`), nil
}

func countsOf(c store.ActionCounts) counts {
	return counts{Queued: c.Queued, Running: c.Running, Retrying: c.Retrying, Succeeded: c.Succeeded, Failed: c.Failed, Cancelled: c.Cancelled}
}

func summaryOf(d *store.DeliverySummary) summary {
	return summary{ID: d.ID, Event: d.Event, Action: d.Action, Repo: d.Repo, Sender: d.Sender,
		ReceivedAt: timestamp(d.ReceivedAt), Status: d.Status, ReplayOf: d.ReplayOf, RulesMatched: d.RulesMatched}
}

func detailOf(d *store.DeliveryDetail) detailReply {
	out := detailReply{
		summary:      summaryOf(&d.DeliverySummary),
		ActionsCount: countsOf(d.Actions),
		ProcessedAt:  timestamp(d.ProcessedAt),
		ProcessError: d.ProcessError,
		Headers:      headers{Event: d.Event, Delivery: d.ID, HookID: d.HookID, UserAgent: d.UserAgent},
		Payload:      payloadJSON(d.Payload),
		Rules:        make([]ruleReply, 0, len(d.Rules)),
		Actions:      make([]actionReply, 0, len(d.ActionList)),
	}
	for _, r := range d.Rules {
		rr := ruleReply{Name: r.Name, Matched: r.Matched, Conditions: make([]condition, 0, len(r.Conditions))}
		for _, c := range r.Conditions {
			rr.Conditions = append(rr.Conditions, condition{Condition: c.Condition, OK: c.OK, Detail: c.Detail})
		}
		out.Rules = append(out.Rules, rr)
	}
	for _, a := range d.ActionList {
		ar := actionReply{ID: a.ID, Rule: a.Rule, Kind: a.Kind, Index: a.Index, State: a.State,
			Params: a.Params, Attempts: make([]attempt, 0, len(a.Attempts)), NextAttemptAt: timestamp(a.NextAttemptAt),
			Links: a.Links}
		if len(ar.Params) == 0 || !json.Valid(ar.Params) {
			ar.Params = json.RawMessage(`{}`)
		}
		if ar.Links == nil {
			ar.Links = map[string]string{}
		}
		for _, at := range a.Attempts {
			ar.Attempts = append(ar.Attempts, attempt{N: at.N, StartedAt: timestamp(at.StartedAt),
				DurationMS: at.Duration.Milliseconds(), Outcome: at.Outcome, Error: at.Error})
		}
		out.Actions = append(out.Actions, ar)
	}
	return out
}

// payloadJSON is the stored payload as JSON; intake stores only valid JSON,
// but a row written otherwise is shown as a string rather than breaking
// the answer.
func payloadJSON(p []byte) json.RawMessage {
	if json.Valid(p) {
		return json.RawMessage(p)
	}
	b, _ := json.Marshal(string(p))
	return b
}
