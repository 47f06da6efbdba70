// Package maintenance holds the periodic work that keeps Switchboard whole
// and bounded, run as River periodic jobs on the elected leader only: the
// catch-up, which finds the events GitHub failed to deliver and asks GitHub
// to deliver them again, and the retention, which deletes what is older
// than store.retention.
package maintenance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// Catch-up defaults.
const (
	// GitHubWindow is how long GitHub keeps an App's delivery log and
	// accepts redeliveries from it (DESIGN.md: "for 3 days").
	GitHubWindow = 72 * time.Hour
	// DefaultOverlap is how far before the last pass's newest entry the
	// next pass looks again: an attempt shows in the log once it ends (up
	// to 10 s after it started, the time it is listed under), and clocks
	// drift.
	DefaultOverlap = 5 * time.Minute
	// DefaultPerPage is the largest page of the delivery log GitHub serves.
	DefaultPerPage = 100
	// DefaultClaimLease is how long a redelivery claim without an answer
	// is taken to be in flight elsewhere. One claim covers one API call,
	// which the HTTP client bounds at 30 s; past the lease its claimant is
	// taken to have died and the event may be claimed again.
	DefaultClaimLease = 5 * time.Minute
)

// highWaterMark names the store mark that holds the newest delivered_at
// seen by the last complete pass.
const highWaterMark = "catch_up_high_water"

// Pass results, the values of the result label of
// switchboard_catchup_passes_total.
const (
	// PassOK: every event back to where the pass started was decided; the
	// next pass starts where this one ended.
	PassOK = "ok"
	// PassIncomplete: the pass stopped early (GitHub refused a redelivery
	// for a while: rate limit, 5xx, no answer) or left an event to a claim
	// in flight elsewhere; the next pass looks at the same stretch again.
	PassIncomplete = "incomplete"
	// PassError: the delivery log or the store could not be read.
	PassError = "error"
)

// DeliveryLog is the App's webhook delivery log on GitHub, read and acted
// on with the App JWT. *githubapp.Creator implements it.
type DeliveryLog interface {
	// HookDeliveries lists one page, newest first; an empty cursor is the
	// newest page and an empty next cursor ends the log.
	HookDeliveries(ctx context.Context, cursor string, perPage int) ([]*github.HookDelivery, string, error)
	// Redeliver asks GitHub to deliver an attempt's event again.
	Redeliver(ctx context.Context, id int64) error
}

// CatchUpStore is what the catch-up needs of the store. *store.Store
// implements it.
type CatchUpStore interface {
	HasDelivery(ctx context.Context, id string) (bool, error)
	ClaimRedelivery(ctx context.Context, guid string, hookID int64, now, staleBefore time.Time) (bool, *store.Redelivery, error)
	FinishRedelivery(ctx context.Context, guid, state, detail string, now time.Time) error
	ReleaseRedelivery(ctx context.Context, guid string) error
	Mark(ctx context.Context, name string) (time.Time, error)
	SetMark(ctx context.Context, name string, t time.Time) error
}

// CatchUpOptions configures a CatchUp. Log and Store are required.
type CatchUpOptions struct {
	Log     DeliveryLog
	Store   CatchUpStore
	Logger  *logrus.Entry    // default discards
	Metrics *Metrics         // default unregistered
	Now     func() time.Time // default time.Now
	// Window is how far back events may be redelivered; default
	// GitHubWindow.
	Window time.Duration
	// Overlap: default DefaultOverlap.
	Overlap time.Duration
	// PerPage is the delivery-log page size; default DefaultPerPage.
	PerPage int
	// ClaimLease: default DefaultClaimLease.
	ClaimLease time.Duration
}

// CatchUp finds the events GitHub failed to deliver and that the store does
// not have, and asks GitHub to deliver each of them again, once. It is safe
// for concurrent use; passes in one process run one at a time.
type CatchUp struct {
	o   CatchUpOptions
	log *logrus.Entry
	mu  sync.Mutex
}

// NewCatchUp checks o and fills in its defaults.
func NewCatchUp(o CatchUpOptions) (*CatchUp, error) {
	if o.Log == nil || o.Store == nil {
		return nil, errors.New("maintenance: catch-up needs a delivery log and a store")
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	if o.Metrics == nil {
		o.Metrics, _ = NewMetrics(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Window <= 0 {
		o.Window = GitHubWindow
	}
	if o.Overlap <= 0 {
		o.Overlap = DefaultOverlap
	}
	if o.PerPage <= 0 {
		o.PerPage = DefaultPerPage
	}
	if o.ClaimLease <= 0 {
		o.ClaimLease = DefaultClaimLease
	}
	return &CatchUp{o: o, log: o.Logger.WithField(logfield.Component, "catchup")}, nil
}

// PassResult is what one pass found and did.
type PassResult struct {
	Result string // PassOK, PassIncomplete or PassError
	Err    error  // why the pass stopped early, if it did
	// Since is how far back the pass listed: the last high-water mark less
	// the overlap, or the start of GitHub's window.
	Since time.Time
	// HighWater is the newest delivered_at listed; stored for the next
	// pass when Result is PassOK.
	HighWater time.Time
	Entries   int // delivery-log entries (attempts) listed since Since
	Events    int // distinct events (GUIDs) among them
	// Left alone:
	Delivered int // some attempt got a 2xx
	Stored    int // the store has the event
	TooOld    int // past GitHub's window
	Done      int // redelivered (or refused) by an earlier pass
	InFlight  int // claimed by another pass that has not finished
	// Asked for:
	Redelivered int // GitHub accepted
	Refused     int // GitHub refused for good (404, 422)
	Failed      int // GitHub refused for now; the pass stopped
}

// event is one GUID's attempts in the listed stretch of the log.
type event struct {
	guid     string
	name     string // the event's name: push, pull_request, ...
	ok       bool
	newestID int64
	newestAt time.Time
	oldestAt time.Time
}

// Pass runs one catch-up pass: it lists the delivery log back to Since,
// groups the attempts by event, and redelivers each event that had no 2xx
// attempt, is not in the store, is inside GitHub's window and was not
// redelivered before. It logs one line and records the metrics; its result
// says what it did, and is not to be logged again.
func (c *CatchUp) Pass(ctx context.Context) PassResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.o.Now()
	res := c.pass(ctx, start)
	c.report(res, start)
	return res
}

func (c *CatchUp) pass(ctx context.Context, now time.Time) (res PassResult) {
	fail := func(err error) PassResult {
		res.Result, res.Err = PassError, err
		return res
	}
	mark, err := c.o.Store.Mark(ctx, highWaterMark)
	if err != nil {
		return fail(err)
	}
	res.Since = now.Add(-c.o.Window)
	if from := mark.Add(-c.o.Overlap); !mark.IsZero() && from.After(res.Since) {
		res.Since = from
	}
	events, err := c.list(ctx, &res)
	if err != nil {
		return fail(err)
	}
	res.Events = len(events)

	for _, e := range events {
		switch {
		case e.ok:
			res.Delivered++
			continue
		case e.newestAt.Before(c.o.Now().Add(-c.o.Window)):
			res.TooOld++
			continue
		}
		has, err := c.o.Store.HasDelivery(ctx, e.guid)
		if err != nil {
			return fail(err)
		}
		if has {
			res.Stored++
			continue
		}
		if stop, err := c.redeliver(ctx, e, &res); err != nil {
			return fail(err)
		} else if stop != nil {
			res.Result, res.Err = PassIncomplete, stop
			return res
		}
	}
	if res.InFlight > 0 {
		// The claimant may yet fail and release its claim: look again.
		res.Result = PassIncomplete
		return res
	}
	if !res.HighWater.IsZero() {
		if err := c.o.Store.SetMark(ctx, highWaterMark, res.HighWater); err != nil {
			return fail(err)
		}
	}
	res.Result = PassOK
	return res
}

// list reads the log newest first down to res.Since and returns its events,
// oldest first, so that missed events are redelivered in the order they
// happened. A page is read to its end even past Since, in case GitHub's
// order is not strictly by time.
func (c *CatchUp) list(ctx context.Context, res *PassResult) ([]*event, error) {
	byGUID := map[string]*event{}
	var events []*event
	cursor := ""
	for {
		page, next, err := c.o.Log.HookDeliveries(ctx, cursor, c.o.PerPage)
		if err != nil {
			return nil, err
		}
		reachedSince := false
		for _, d := range page {
			at := d.GetDeliveredAt().Time
			if at.Before(res.Since) {
				reachedSince = true
				continue
			}
			res.Entries++
			if at.After(res.HighWater) {
				res.HighWater = at
			}
			guid := d.GetGUID()
			if guid == "" {
				continue
			}
			e := byGUID[guid]
			if e == nil {
				e = &event{guid: guid, name: d.GetEvent(), oldestAt: at}
				byGUID[guid] = e
				events = append(events, e)
			}
			if code := d.GetStatusCode(); code >= 200 && code <= 299 {
				e.ok = true
			}
			if e.newestID == 0 || at.After(e.newestAt) || at.Equal(e.newestAt) && d.GetID() > e.newestID {
				e.newestID, e.newestAt = d.GetID(), at
			}
			if at.Before(e.oldestAt) {
				e.oldestAt = at
			}
		}
		if reachedSince || next == "" || len(page) == 0 {
			break
		}
		cursor = next
	}
	sortOldestFirst(events)
	return events, nil
}

// redeliver claims e, asks GitHub to redeliver its newest attempt and
// records the answer. It returns stop when GitHub refused for now (the pass
// ends; the next one tries again), err when the store failed.
//
// The claim is written before the call so that no later pass and no other
// replica asks again. A process that dies between the claim and recording
// the answer leaves a claim without an answer: after ClaimLease a later
// pass, finding the event still not stored, claims it again and asks once
// more. That second request is harmless if the first did go through, since
// a redelivery carries the same X-GitHub-Delivery and intake answers it as
// a duplicate; recording the claim after the call instead would lose the
// event for good if the process died in between.
func (c *CatchUp) redeliver(ctx context.Context, e *event, res *PassResult) (stop, err error) {
	now := c.o.Now()
	claimed, existing, err := c.o.Store.ClaimRedelivery(ctx, e.guid, e.newestID, now, now.Add(-c.o.ClaimLease))
	if err != nil {
		return nil, err
	}
	if !claimed {
		if existing != nil && existing.State == store.RedeliveryClaimed {
			res.InFlight++
		} else {
			res.Done++
		}
		return nil, nil
	}
	log := c.log.WithFields(logrus.Fields{logfield.Delivery: e.guid, logfield.Event: e.name, "hook_delivery_id": e.newestID})
	callErr := c.o.Log.Redeliver(ctx, e.newestID)
	switch code := githubapp.StatusCode(callErr); {
	case callErr == nil:
		res.Redelivered++
		c.o.Metrics.redeliveries.WithLabelValues("accepted").Inc()
		log.Info("redelivery requested")
		return nil, c.o.Store.FinishRedelivery(ctx, e.guid, store.RedeliveryAccepted, "", c.o.Now())
	case code == http.StatusNotFound || code == http.StatusUnprocessableEntity:
		res.Refused++
		c.o.Metrics.redeliveries.WithLabelValues("refused").Inc()
		detail := fmt.Sprintf("%d %s", code, githubapp.Message(callErr))
		log.WithField(logfield.Status, code).Warn("GitHub refused the redelivery; not asking again")
		return nil, c.o.Store.FinishRedelivery(ctx, e.guid, store.RedeliveryRefused, detail, c.o.Now())
	default:
		res.Failed++
		c.o.Metrics.redeliveries.WithLabelValues("error").Inc()
		// Released even when ctx is done (shutdown), so the next pass need
		// not wait out the lease.
		if rerr := c.o.Store.ReleaseRedelivery(context.WithoutCancel(ctx), e.guid); rerr != nil {
			return nil, errors.Join(callErr, rerr)
		}
		return callErr, nil
	}
}

// report logs the pass's line and records its metrics.
func (c *CatchUp) report(res PassResult, start time.Time) {
	m := c.o.Metrics
	m.passes.WithLabelValues(res.Result).Inc()
	m.seen.Add(float64(res.Entries))
	end := c.o.Now()
	if res.Result == PassOK {
		m.lastSuccess.Set(float64(end.UnixNano()) / 1e9)
	}
	log := c.log.WithFields(logrus.Fields{
		"result":          res.Result,
		"since":           res.Since.UTC().Format(time.RFC3339),
		"entries":         res.Entries,
		"events":          res.Events,
		"delivered":       res.Delivered,
		"stored":          res.Stored,
		"too_old":         res.TooOld,
		"done":            res.Done,
		"in_flight":       res.InFlight,
		"redelivered":     res.Redelivered,
		"refused":         res.Refused,
		"failed":          res.Failed,
		logfield.Duration: end.Sub(start).Seconds(),
	})
	if res.Err != nil {
		log.WithError(res.Err).Warn("catch-up pass stopped early; the next pass resumes")
		return
	}
	log.Info("catch-up pass")
}
