// Package store is Switchboard's durable queue and delivery log: River on
// SQLite (the embedded default) or on Postgres, plus the deliveries and
// action-outcome tables that sit beside River's own.
package store

import "time"

// Delivery is one webhook delivery as GitHub sent it.
type Delivery struct {
	ID         string    // X-GitHub-Delivery: the idempotency key
	Event      string    // X-GitHub-Event
	Payload    []byte    // the JSON payload (for form-encoded deliveries, the payload field)
	ReceivedAt time.Time // when intake accepted it
	HookID     string    // X-GitHub-Hook-ID, "" when absent
	UserAgent  string    // User-Agent, "" when absent
	ReplayOf   string    // the delivery this one replays, "" when it is not a replay
}
