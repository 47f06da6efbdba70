package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/handlers"
	"github.com/switchboard-dev/switchboard/store"
)

// inprocTarget is Switchboard's real intake over the real store, in this
// process, on a loopback port: what -inproc measures.
type inprocTarget struct {
	URL    string // the webhook URL
	server *loopbackServer
	store  *store.Store
	dir    string
	worked atomic.Int64 // process_delivery jobs run by the no-op worker
}

// startInproc opens a store of driver kind on a temporary file, starts it,
// and serves handlers.NewRouter over it. With work, a no-op worker runs the
// store's process_delivery jobs while the load runs, so that job completion
// competes with intake for the database as it does in production.
func startInproc(ctx context.Context, kind, secret string, work bool, log *logrus.Entry) (_ *inprocTarget, err error) {
	if kind != store.DriverSQLite {
		return nil, fmt.Errorf("-inproc %q: only %q is supported", kind, store.DriverSQLite)
	}
	t := &inprocTarget{}
	t.dir, err = os.MkdirTemp("", "switchboard-load-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, t.stop())
		}
	}()
	opts := store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.dir, "load.db"), Logger: log}
	if work {
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[store.ProcessDeliveryArgs]) error {
			t.worked.Add(1)
			return nil
		}))
		opts.Workers = workers
	}
	if t.store, err = store.Open(ctx, opts); err != nil {
		return nil, err
	}
	if err = t.store.Start(ctx); err != nil {
		return nil, err
	}
	router, err := handlers.NewRouter(handlers.Options{
		Secrets:  func() []string { return []string{secret} },
		Logger:   log,
		Registry: prometheus.NewRegistry(),
	}, t.store)
	if err != nil {
		return nil, err
	}
	if t.server, err = serveLoopback(router); err != nil {
		return nil, err
	}
	t.URL = t.server.URL + handlers.DefaultWebhookPath
	return t, nil
}

// stop shuts down the server and the store and deletes the database.
func (t *inprocTarget) stop() error {
	var errs []error
	if t.server != nil {
		errs = append(errs, t.server.stop())
	}
	if t.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, t.store.Stop(ctx), t.store.Close())
		cancel()
	}
	if t.dir != "" {
		errs = append(errs, os.RemoveAll(t.dir))
	}
	return errors.Join(errs...)
}
