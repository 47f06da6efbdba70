package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// DecideMaxBytes is the largest payload Decide decides: a larger one is
// left to the worker, which decodes it within the memory budget
// (WithBudget), not in the request that carried it.
const DecideMaxBytes = 1 << 20

// decideHoldMin is the payload size from which Decide holds room in the
// memory budget for decoding (ViewCost times the size) and, finding none
// free at once, leaves the payload to the worker, which waits for it:
// under a flood of large bodies, decoding then stays within the one bound
// intake and processing share (issue 11). Smaller payloads, the usual
// pushes of 5-50 KB, decode without asking.
const decideHoldMin = 64 << 10

// errNeedsAPI is why an offline evaluation gave up: deciding the delivery
// needs a call outside the process.
var errNeedsAPI = errors.New("deciding needs GitHub's API or the store")

// offlineFiles is the FileLister of an offline evaluation: a rule that
// needs a pull request's files makes it give up.
type offlineFiles struct{}

func (offlineFiles) PullRequestFiles(context.Context, int64, string, string, int) ([]string, bool, error) {
	return nil, false, errNeedsAPI
}

// supersedes reports whether some of jobs come from a rule with supersede:
// true and ev is work such a rule tracks, so evaluate would claim a head.
func (p *Processor) supersedes(cfg *config.Config, ev *rules.Event, jobs []actions.Job) bool {
	for i := range jobs {
		if supersedingRule(cfg, &jobs[i]) != nil {
			// Only now the head: it reads the payload's maps, which most
			// deliveries never need.
			_, _, ok := supersedeHead(ev, p.now)
			return ok
		}
	}
	return false
}

// supersedingRule is the rule of j when it has supersede: true and j came
// from its match (Why empty: a re-run asked for by a person neither
// supersedes nor is superseded); nil otherwise.
func supersedingRule(cfg *config.Config, j *actions.Job) *config.Rule {
	if rc := ruleConfig(cfg, j.Rule); rc != nil && rc.Supersede && j.Why == "" {
		return rc
	}
	return nil
}

// decision is what processing one parsed delivery decided: the record to
// write, and what to log and count once it is written.
type decision struct {
	rec     store.Processing
	jobs    int
	evalErr error // rule errors reported beside the jobs
	log     *logrus.Entry
	start   time.Time
}

// decide evaluates the live rules for ev (offline: see evaluate) and
// builds the record RecordProcessing or EnqueueDecided writes. retry is an
// error after which nothing was decided.
func (p *Processor) decide(ctx context.Context, d *store.Delivery, ev *rules.Event, log *logrus.Entry, start time.Time, offline bool) (dec *decision, retry error) {
	log = log.WithFields(logrus.Fields{logfield.Action: ev.Action, logfield.Repo: ev.Repository.FullName})
	snap := p.live.Load()
	jobs, explained, evalErr, retry := p.evaluate(ctx, snap, ev, log, offline)
	if retry != nil {
		return nil, retry
	}
	dec = &decision{
		rec: store.Processing{
			Delivery: d.ID, Action: ev.Action, Repo: ev.Repository.FullName, Sender: ev.Sender,
			Status: store.ProcessedOK, Rules: ruleRecords(explained), At: p.now(),
		},
		jobs: len(jobs), evalErr: evalErr, log: log, start: start,
	}
	if evalErr != nil {
		dec.rec.Status, dec.rec.Error = store.ProcessedError, evalErr.Error()
	}
	var red redactor
	if len(jobs) > 0 {
		red = newRedactor(snap.Config.SecretValues())
	}
	for i := range jobs {
		j := &jobs[i]
		params, err := paramsOf(j, red)
		if err != nil {
			return nil, fmt.Errorf("record action params: %w", err)
		}
		dec.rec.Actions = append(dec.rec.Actions, store.QueuedAction{
			Rule: j.Rule, Index: j.Index, Kind: j.Kind, Params: params, Links: queuedLinks(j, ev),
			Job: river.InsertManyParams{
				Args: RunActionArgs{Delivery: j.Delivery, Rule: j.Rule, Index: j.Index, Job: *j, ReceivedAt: d.ReceivedAt},
				InsertOpts: &river.InsertOpts{
					// Runner counts attempts itself (snoozes do not count in River);
					// this only bounds rescues of a job whose process died.
					MaxAttempts: 1000,
					UniqueOpts:  river.UniqueOpts{ByArgs: true},
				},
			},
		})
	}
	return dec, nil
}

// done logs and counts a decision once it is written; queued is how many
// of its jobs were new.
func (p *Processor) done(event string, dec *decision, queued int) {
	fields := logrus.Fields{
		logfield.Status:   "processed",
		"actions":         dec.jobs,
		"queued":          queued,
		logfield.Duration: p.now().Sub(dec.start).Seconds(),
	}
	if dec.evalErr != nil {
		// Some actions failed to render, or some rule's expr failed on this
		// payload; the rest are queued. A retry would fail the same way.
		status := ruleErrorStatus(dec.evalErr)
		fields[logfield.Status] = status
		dec.log.WithFields(fields).WithError(dec.evalErr).Error("delivery processed with rule errors")
		p.metrics.delivery(event, status)
		return
	}
	dec.log.WithFields(fields).Info("delivery processed")
	p.metrics.delivery(event, "processed")
}

// Decision is what Decide decided for a delivery not yet stored.
type Decision struct {
	// Processing is the record to store with the delivery
	// (store.EnqueueDecided).
	Processing store.Processing
	p          *Processor
	event      string
	dec        *decision
}

// Stored logs and counts the decision once the delivery is stored (a
// duplicate wrote nothing and is not counted).
func (d *Decision) Stored() {
	d.p.done(d.event, d.dec, len(d.Processing.Actions))
}

// Decide processes a delivery before it is stored, when that needs
// nothing outside the process: it parses the payload once, matches the
// live rules and renders their actions, as the worker would. It reports
// false, leaving the delivery to the "process delivery" worker, when the
// payload is over DecideMaxBytes, or over decideHoldMin with no room in
// the memory budget to decode it now, or does not parse (the worker
// records why), or when deciding needs GitHub's API or a store write (see
// evaluate). The rules that decide are those live when the delivery
// arrives.
func (p *Processor) Decide(ctx context.Context, d store.Delivery) (*Decision, bool) {
	if len(d.Payload) > DecideMaxBytes {
		return nil, false
	}
	if len(d.Payload) > decideHoldMin {
		now, cancel := context.WithCancel(ctx)
		cancel() // take the room only if it is free now
		grant, err := p.hold(now, int64(len(d.Payload)))
		if err != nil {
			return nil, false
		}
		defer grant.Release()
	}
	start := p.now()
	ev, err := rules.NewEvent(d.Event, d.ID, d.Payload)
	if err != nil {
		return nil, false
	}
	log := p.log.WithFields(logrus.Fields{logfield.Delivery: d.ID, logfield.Event: d.Event})
	dec, retry := p.decide(ctx, &d, ev, log, start, true)
	if retry != nil {
		return nil, false
	}
	return &Decision{Processing: dec.rec, p: p, event: d.Event, dec: dec}, true
}
