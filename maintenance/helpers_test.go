package maintenance_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/testpg"
	"github.com/switchboard-dev/switchboard/store"
)

// waitLimit bounds every wait for something asynchronous; it is a failure
// deadline, not a measured duration.
const waitLimit = 30 * time.Second

const appID = 515151

// eachDriver runs fn once per store driver, each on a fresh database: a
// SQLite file, or a Postgres schema of its own dropped at the end.
func eachDriver(t *testing.T, fn func(t *testing.T, o store.Options)) {
	t.Run(store.DriverSQLite, func(t *testing.T) {
		fn(t, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "switchboard.db"), Logger: quietLogger()})
	})
	t.Run(store.DriverPostgres, func(t *testing.T) {
		dsn, schema := testpg.Schema(t, "sbmaint_")
		fn(t, store.Options{Driver: store.DriverPostgres, DSN: dsn, Schema: schema, Logger: quietLogger()})
	})
}

func quietLogger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(os.Stderr)
	l.SetLevel(logrus.WarnLevel)
	return logrus.NewEntry(l)
}

// openStore opens and starts a store (insert-only unless o has Workers) and
// closes it when the test ends.
func openStore(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("store.Close: %v", err)
		}
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("store.Start: %v", err)
	}
	return s
}

// clock is a settable clock, safe for concurrent use (the fake GitHub reads
// it from its handlers).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newGitHub starts a fake GitHub for the App and a Creator aimed at it.
func newGitHub(t *testing.T) (*fakegithub.Server, *githubapp.Creator) {
	t.Helper()
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: appID, PublicKey: key.PublicKey()})
	t.Cleanup(gh.Close)
	c, err := githubapp.New(githubapp.Options{AppID: appID, PrivateKey: key.PEM, BaseURL: gh.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return gh, c
}

// failed is a delivery-log entry for an attempt our webhook did not take.
func failed(guid string, at time.Time, code int) fakegithub.Delivery {
	status := "Invalid HTTP Response: " + strconv.Itoa(code)
	if code == 0 {
		status = "timed out"
	}
	return fakegithub.Delivery{GUID: guid, DeliveredAt: at, Status: status, StatusCode: code, Event: "push"}
}

// delivered is an entry for an attempt our webhook answered with code (2xx).
func delivered(guid string, at time.Time, code int) fakegithub.Delivery {
	return fakegithub.Delivery{GUID: guid, DeliveredAt: at, Status: "OK", StatusCode: code, Event: "push"}
}

// redeliveredGUIDs counts the redeliveries the fake was asked for, by GUID.
func redeliveredGUIDs(gh *fakegithub.Server) map[string]int {
	out := map[string]int{}
	for _, r := range gh.Redeliveries() {
		out[r.GUID]++
	}
	return out
}

func attemptsPath(id int64) string {
	return fmt.Sprintf("POST /app/hook/deliveries/%d/attempts", id)
}

// metricValue reads one counter or gauge from reg; labels must match
// exactly. A metric never written reads as 0.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			if m.Counter != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// capture is a logger whose entries the test reads.
func capture() (*logrus.Entry, *test.Hook) {
	l, hook := test.NewNullLogger()
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l), hook
}

// processWorkers are workers for a store that only needs to hold
// deliveries: the process jobs Enqueue queues complete at once.
func processWorkers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, river.WorkFunc(func(context.Context, *river.Job[store.ProcessDeliveryArgs]) error { return nil }))
	return w
}
