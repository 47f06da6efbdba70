package pipeline

import (
	"context"

	"github.com/switchboard-dev/switchboard/store"
)

// IntakeStore is what Intake needs of the store (package store implements
// it).
type IntakeStore interface {
	Enqueue(ctx context.Context, d store.Delivery) (duplicate bool, err error)
	EnqueueDecided(ctx context.Context, d store.Delivery, p store.Processing, handoff store.Handoff) (duplicate bool, err error)
	EnqueueClaimed(ctx context.Context, d store.Delivery, p store.Processing, handoff store.Handoff) (duplicate bool, err error)
	Ping(ctx context.Context) error
}

// Intake is where a verified delivery goes (handlers.DeliveryStore): it
// matches the delivery at commit time when the processor can decide it
// without leaving the process, and stores it with its action jobs in the
// one transaction that answers GitHub; any other delivery is stored with a
// "process delivery" job, as before. Data still flows one way: handlers ->
// Intake (rules, then store) -> actions (docs/architecture.md).
type Intake struct {
	store     IntakeStore
	processor *Processor
	inline    *Inline // nil: River runs every action
}

// NewIntake returns an Intake that stores through st and decides with p.
func NewIntake(st IntakeStore, p *Processor) *Intake {
	return &Intake{store: st, processor: p}
}

// WithInline makes in hand the actions it decides to i, which runs their
// first attempt at once (see Inline), and returns in.
func (in *Intake) WithInline(i *Inline) *Intake {
	in.inline = i
	return in
}

// Enqueue stores d (see store.Store.Enqueue); a delivery Decide could
// decide is stored with its processing record and action jobs instead of a
// processing job.
func (in *Intake) Enqueue(ctx context.Context, d store.Delivery) (duplicate bool, err error) {
	dec, ok := in.processor.Decide(ctx, d)
	if !ok {
		return in.store.Enqueue(ctx, d)
	}
	// The decision is counted (a log line, metrics) once the store says
	// the delivery is stored, here rather than in the handoff, which runs
	// on the store's one writer: when Enqueue returns, the handoff has
	// been called; a caller that gave up during the commit gets an error
	// while the delivery is stored all the same, and is counted when the
	// handoff comes.
	stored := make(chan bool, 1)
	var run func([]store.ClaimedJob)
	handoff := func(ok bool, claimed []store.ClaimedJob) {
		stored <- ok
		if run != nil {
			run(claimed)
		}
	}
	if n := len(dec.Processing.Actions); in.inline != nil && in.inline.reserve(n) {
		run = in.inline.handoff(n, dec.Processing.Actions)
		duplicate, err = in.store.EnqueueClaimed(ctx, d, dec.Processing, handoff)
	} else {
		duplicate, err = in.store.EnqueueDecided(ctx, d, dec.Processing, handoff)
	}
	select {
	case ok := <-stored:
		if ok {
			dec.Stored()
		}
	default:
		go func() {
			if <-stored {
				dec.Stored()
			}
		}()
	}
	return duplicate, err
}

// Ping reports whether the store is reachable.
func (in *Intake) Ping(ctx context.Context) error { return in.store.Ping(ctx) }
