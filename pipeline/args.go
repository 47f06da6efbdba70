// Package pipeline holds the two queue workers between intake and the outside
// world: Processor turns a stored delivery into one queued job per matched
// action, and Runner runs those jobs and records each outcome.
package pipeline

import (
	"time"

	"github.com/switchboard-dev/switchboard/actions"
)

// RunActionArgs is the queue job for one rendered action. It is unique by
// delivery, rule and action index: a delivery processed twice (a retry, a
// rescue after a crash) never queues an action twice.
type RunActionArgs struct {
	Delivery string      `json:"delivery" river:"unique"`
	Rule     string      `json:"rule" river:"unique"`
	Index    int         `json:"index" river:"unique"`
	Job      actions.Job `json:"job"`
	// ReceivedAt is when the delivery was received, for the time from a
	// delivery to its actions' first attempts; zero in jobs queued before
	// it was added.
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// Kind implements river.JobArgs.
func (RunActionArgs) Kind() string { return "run_action" }
