package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/store"
)

// finishTimeout bounds recording a claimed job's end.
const finishTimeout = 5 * time.Second

// InlineStore is what Inline needs of the store.
type InlineStore interface {
	// RecordOutcomeFinish records an attempt's end and, in the same
	// transaction, ends its claimed job.
	RecordOutcomeFinish(ctx context.Context, o store.Outcome, id int64, end store.JobEnd) error
	// RecordOutcome records an attempt's end alone.
	RecordOutcome(ctx context.Context, o store.Outcome) error
	// FinishClaimed ends a claimed job whose attempt recorded nothing.
	FinishClaimed(ctx context.Context, id int64, end store.JobEnd) error
	// ReleaseClaimed gives a claimed job that never started back to River,
	// its outcome o.
	ReleaseClaimed(ctx context.Context, o store.Outcome, id int64) error
}

// Inline runs the first attempt of the actions intake decided, in this
// process, as soon as the transaction that queued them commits: their
// River jobs are queued already running (store.EnqueueClaimed), so no
// producer fetches them, the Runner reads no outcome back, and the end of
// each attempt and of its job is one write, shared with others ending
// together. Retries, snoozes, rescues and everything queued any other way
// stay River's: a first attempt that does not succeed hands its job back
// to River in that write (scheduled for the retry's time).
//
// At most workers claimed jobs run at once. A delivery's jobs are reserved
// a place before its transaction (they are claimed in it), and hold it
// from then until their end is written: places are PendingPerWorker times
// workers, because at thousands of deliveries a second most of them are
// held by deliveries still waiting for their commit, not by actions. A
// claimed job waits for a worker at most MaxWait (then River runs it). When
// every place is taken, intake leaves the next delivery's jobs to River,
// so a burst queues as before.
type Inline struct {
	runner  *Runner
	store   InlineStore
	timeout time.Duration
	log     *logrus.Entry
	now     func() time.Time
	workers chan struct{} // a token per job running its action
	wait    time.Duration // the longest a claimed job waits for a worker

	mu       sync.Mutex
	free     int // places
	stopped  bool
	inFlight sync.WaitGroup // taken places, running or not yet handed off
	ctx      context.Context
	cancel   context.CancelFunc
}

// PendingPerWorker is how many claimed jobs Inline holds per worker:
// running, waiting for a worker, or waiting for their transaction or their
// end's write. Measured at 2,000 deliveries/s offered by 128 senders with
// the default 20 workers (docs/BENCHMARKS.md, "Third session"): with one
// place per worker, places waited on intake's commits, three jobs in four
// went to River and the backlog grew to 77,000 in a minute; with 8 it grew
// to 22,700; with 20 it peaked at 319 and was empty when the load ended.
// A job waits for a worker at most MaxWait, then goes to River.
const PendingPerWorker = 20

// NewInline returns an Inline that runs claimed jobs with r, at most
// workers at once, each for at most timeout (River's job timeout). A
// claimed job that finds no worker free within wait is given back to
// River unstarted (see MaxWait).
func NewInline(r *Runner, st InlineStore, workers int, timeout, wait time.Duration, log *logrus.Entry) *Inline {
	ctx, cancel := context.WithCancel(context.Background())
	workers = max(workers, 1)
	places := workers * PendingPerWorker
	if wait <= 0 {
		places = workers // nothing may wait: a place per worker
	}
	return &Inline{runner: r, store: st, timeout: timeout, wait: wait, log: log, now: time.Now,
		workers: make(chan struct{}, workers), free: places, ctx: ctx, cancel: cancel}
}

// MaxWait is the longest a claimed job may wait for a worker. A claimed
// job is running in River's eyes from its claim, and River runs a job
// again once it has been running rescueAfter (on Postgres another replica
// may): waiting, then running for up to timeout, must end well inside
// that, with room for the commit before and the end's write after.
func MaxWait(rescueAfter, timeout time.Duration) time.Duration {
	return max(rescueAfter-timeout-waitMargin, 0)
}

// waitMargin is MaxWait's room for a claim's commit and its end's write.
const waitMargin = 5 * time.Second

// reserve takes n places if all are free and the dispatcher runs.
func (in *Inline) reserve(n int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped || n <= 0 || n > in.free {
		return false
	}
	in.free -= n
	in.inFlight.Add(n)
	return true
}

// release frees n places.
func (in *Inline) release(n int) {
	in.mu.Lock()
	in.free += n
	in.mu.Unlock()
	for i := 0; i < n; i++ {
		in.inFlight.Done()
	}
}

// handoff returns what runs the jobs store.EnqueueClaimed claimed for a
// delivery whose actions took reserved places, and frees the places of
// the rest.
func (in *Inline) handoff(reserved int, actions []store.QueuedAction) func(claimed []store.ClaimedJob) {
	return func(claimed []store.ClaimedJob) {
		in.release(reserved - len(claimed))
		for _, c := range claimed {
			qa := actions[c.Action]
			args, ok := qa.Job.Args.(RunActionArgs)
			if !ok {
				// Decide queues only action jobs; should another come,
				// River runs it, at once.
				in.log.WithField("job", c.ID).Error("claimed job is not an action; given to River")
				go func(id int64) {
					defer in.release(1)
					in.end(id, in.log.WithField("job", id), store.JobEnd{RunAt: in.now()})
				}(c.ID)
				continue
			}
			go in.run(c.ID, args, qa.Links)
		}
	}
}

// run works one claimed job. The Runner records the attempt's end and the
// job's in one write; if it ends without that (it panicked, or could not
// write), the job is handed back to River as it stands.
func (in *Inline) run(id int64, args RunActionArgs, links map[string]string) {
	defer in.release(1)
	log := in.runner.entry(args).WithField("job", id)
	if !in.takeWorker(id, args, log) {
		return
	}
	working := true
	done := func() {
		if working {
			<-in.workers
			working = false
		}
	}
	defer done()
	ctx, cancel := context.WithTimeout(in.ctx, in.timeout)
	ended := false // the job's end is recorded with the outcome
	err := in.work(ctx, args, links, func(ctx context.Context, out store.Outcome, result error, final bool) error {
		if !final {
			// A follow-up is queued after this: the job ends once it is.
			return in.store.RecordOutcome(ctx, out)
		}
		// The action is over: its worker takes the next job while the end
		// is written, a write that waits its turn with intake's batches.
		// The place is held until it is written, and Stop waits for it.
		done()
		err := in.store.RecordOutcomeFinish(ctx, out, id, jobEnd(result, in.now()))
		if errors.Is(err, store.ErrNotClaimed) {
			log.Warn("the action's job was taken back by River before its end was written; that end is not recorded")
			err = nil
		}
		ended = err == nil
		return err
	})
	cancel()
	if ended {
		// What the job returned (nil, a snooze, a cancellation) is what
		// was recorded with the outcome.
		return
	}
	// Not recorded (a panic, a failed write), or a follow-up still had to
	// be queued: completed if that went well, else River runs the job
	// again, and the Runner, finding the outcome, does only what is left.
	in.end(id, log, jobEnd(err, in.now()))
}

// end ends a claimed job that recorded no outcome with its end. Should
// that write fail, the job stays running: it is resumed at the next start
// (SQLite) or rescued (Postgres), and the outcome recorded tells the next
// attempt what this one did.
func (in *Inline) end(id int64, log *logrus.Entry, end store.JobEnd) {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	err := in.store.FinishClaimed(ctx, id, end)
	switch {
	case errors.Is(err, store.ErrNotClaimed):
		log.Warn("the action's job was taken back by River before its end was written")
	case err != nil:
		log.WithError(err).Error("could not record the end of an action's job; it runs again after a restart or rescue")
	}
}

// takeWorker waits for a worker, at most in.wait, and reports whether it
// got one while Inline runs. A job that got none, or that Stop cut short
// before its action started, is given back to River unstarted.
func (in *Inline) takeWorker(id int64, args RunActionArgs, log *logrus.Entry) bool {
	got := false
	select {
	case in.workers <- struct{}{}:
		got = true
	default:
		waited := time.NewTimer(in.wait)
		select {
		case in.workers <- struct{}{}:
			got = true
		case <-in.ctx.Done():
		case <-waited.C:
			log = log.WithField("waited", in.wait.String())
		}
		waited.Stop()
	}
	if got && in.ctx.Err() == nil {
		return true
	}
	if got {
		<-in.workers
	}
	in.giveBack(id, args, log)
	return false
}

// giveBack hands a claimed job whose action never started to River;
// should that write fail, the job stays running and is resumed or rescued
// like one cut short.
func (in *Inline) giveBack(id int64, args RunActionArgs, log *logrus.Entry) {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	out := store.Outcome{Delivery: args.Delivery, Rule: args.Rule, Index: args.Index, Kind: args.Job.Kind, State: store.OutcomePending}
	switch err := in.store.ReleaseClaimed(ctx, out, id); {
	case errors.Is(err, store.ErrNotClaimed):
		log.Warn("the action's job was taken back by River before it started here")
	case err != nil:
		log.WithError(err).Error("could not give an action's job back to River; it runs after a restart or rescue")
	default:
		log.Info("no worker free here; action's job given to River")
	}
}

// jobEnd is what a job's result makes of it: completed when nil,
// cancelled when it failed for good (river.JobCancel, as River's own
// executor ends it), else run again by River at once, or after a
// snooze's delay.
func jobEnd(result error, now time.Time) store.JobEnd {
	var (
		snooze *rivertype.JobSnoozeError
		cancel *rivertype.JobCancelError
	)
	switch {
	case result == nil:
		return store.JobEnd{Completed: true}
	case errors.As(result, &cancel):
		return store.JobEnd{Cancelled: true}
	case errors.As(result, &snooze):
		return store.JobEnd{RunAt: now.Add(snooze.Duration)}
	}
	return store.JobEnd{RunAt: now}
}

// work runs the Runner on the job; a panic becomes an error, as River's
// executor makes it.
func (in *Inline) work(ctx context.Context, args RunActionArgs, links map[string]string, record recordEnd) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job panicked: %v\n%s", p, debug.Stack())
			in.runner.entry(args).Error(err.Error())
		}
	}()
	return in.runner.RunClaimed(ctx, args, links, record)
}

// Stop takes no more jobs and waits for those running until ctx ends;
// then it cancels them and waits for them to return. An action cut short
// records its attempt like any interrupted one (River then runs it again);
// a job whose action had not started is given back to River unstarted.
// Jobs whose end could not be written stay running in the store, and run
// again after a restart (SQLite) or a rescue (Postgres).
func (in *Inline) Stop(ctx context.Context) error {
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	done := make(chan struct{})
	go func() {
		in.inFlight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	in.cancel()
	<-done
	return ctx.Err()
}
