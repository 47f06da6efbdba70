package store

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// insertNotification is the notification River's producers take as "jobs
// were queued in this queue: fetch now" (River's river_insert topic; all of
// Switchboard's jobs are in the default queue).
var insertNotification = riverdriver.Notification{Topic: "river_insert", Payload: `{"queue":"default"}`}

// wakeDriver is riversqlite's driver with a listener that also hears this
// process's own commits. SQLite has no LISTEN/NOTIFY: riversqlite's
// listener polls a notification table every 50 ms, so a job queued in a
// transaction waited 0-50 ms for a worker, twice on the way from request to
// first action (docs/BENCHMARKS.md, the latency stages). The process that
// runs the jobs is the one that queued them (it owns the file: fileLock),
// so after such a commit it wakes its own producers at once; the table is
// still polled, for jobs queued by River itself (retries, rescues).
type wakeDriver struct {
	*riversqlite.Driver
	wake chan struct{}
}

var _ riverdriver.Driver[*sql.Tx] = (*wakeDriver)(nil)

func newWakeDriver(db *sql.DB) *wakeDriver {
	return &wakeDriver{Driver: riversqlite.New(db), wake: make(chan struct{}, 1)}
}

// queued is called after a transaction that queued jobs has committed; it
// never blocks: one pending wake covers any number of commits.
func (d *wakeDriver) queued() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// GetListener implements riverdriver.Driver.
func (d *wakeDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &wakeListener{Listener: d.Driver.GetListener(params), wake: d.wake}
}

// wakeListener is a riverdriver.Listener that also returns an insert
// notification when the driver is woken.
type wakeListener struct {
	riverdriver.Listener
	wake <-chan struct{}
	// woken is a wake not answered yet. River's notifier waits from one
	// goroutine at a time, so nothing else touches it.
	woken bool
}

type notificationResult struct {
	n   *riverdriver.Notification
	err error
}

// WaitForNotification implements riverdriver.Listener: the first of the
// polled table's next notification and a wake. The poll is cancelled, and
// waited for, before a wake is answered, so that the inner listener never
// has two waits at once.
func (l *wakeListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	if l.woken {
		l.woken = false
		n := insertNotification
		return &n, nil
	}
	select {
	case <-l.wake:
		n := insertNotification
		return &n, nil
	default:
	}
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan notificationResult, 1)
	go func() {
		n, err := l.Listener.WaitForNotification(pollCtx)
		done <- notificationResult{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-l.wake:
		cancel()
		if r := <-done; r.err == nil {
			// The poll found a notification as it was cancelled: deliver
			// it, and answer the wake at the next call.
			l.woken = true
			return r.n, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n := insertNotification
		return &n, nil
	}
}
