package check

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-dev/switchboard/store"
)

// markName is the maintenance mark check writes: a row of its own, which
// nothing else reads.
const markName = "switchboard-check"

// storeCheck opens the store as serve does (running its migrations), and
// writes and reads back one row. It starts no queue: no job runs.
func storeCheck(ctx context.Context, o Options) Result {
	s := o.Config.Store
	label := "store " + s.Driver
	st, err := store.Open(ctx, store.Options{
		Driver: s.Driver, DSN: string(s.DSN), Logger: o.Logger, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		return Result{label, Fail, "open and migrate: " + err.Error()}
	}
	defer st.Close()
	now := o.Now().UTC().Truncate(time.Second)
	if err := st.SetMark(ctx, markName, now); err != nil {
		return Result{label, Fail, "opened and migrated, but a write failed: " + err.Error()}
	}
	got, err := st.Mark(ctx, markName)
	if err != nil {
		return Result{label, Fail, "opened, migrated and written, but the read back failed: " + err.Error()}
	}
	if !got.Equal(now) {
		return Result{label, Fail, "opened, migrated and written, but the row read back differs"}
	}
	return Result{label, OK, "opened, migrated, written and read back"}
}
