package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/internal/testpg"
)

// waitLimit bounds every wait for something asynchronous (a job to run, an
// event); it is a failure deadline, not a measured duration.
const waitLimit = 20 * time.Second

// testDB is one fresh database for one test: a SQLite file in t.TempDir()
// or a Postgres schema of its own, dropped at the end.
type testDB struct {
	driver string
	dsn    string
	schema string
}

func (db testDB) options(t testing.TB) Options {
	return Options{Driver: db.driver, DSN: db.dsn, Schema: db.schema, Logger: testLogger(t)}
}

// eachDriver runs fn once per driver, each time on a fresh database.
func eachDriver(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Run(DriverSQLite, func(t *testing.T) { fn(t, newSQLiteDB(t)) })
	t.Run(DriverPostgres, func(t *testing.T) { fn(t, newPostgresDB(t)) })
}

func newSQLiteDB(t testing.TB) testDB {
	return testDB{driver: DriverSQLite, dsn: filepath.Join(t.TempDir(), "switchboard.db")}
}

func newPostgresDB(t testing.TB) testDB {
	dsn, schema := testpg.Schema(t, "sbtest_")
	return testDB{driver: DriverPostgres, dsn: dsn, schema: schema}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func testLogger(t testing.TB) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(os.Stderr)
	l.SetLevel(logrus.WarnLevel)
	return logrus.NewEntry(l).WithField("test", t.Name())
}

// openStore opens a store and closes it when the test ends.
func openStore(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func startStore(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// jobsOfKind lists the stored River jobs of one kind, in any state.
func jobsOfKind(t testing.TB, s *Store, kind string) []*rivertype.JobRow {
	t.Helper()
	jobs, err := s.q.listJobs(context.Background(), river.NewJobListParams().
		Kinds(kind).
		States(rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
			rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled).
		First(10000))
	if err != nil {
		t.Fatalf("list %s jobs: %v", kind, err)
	}
	return jobs
}

// payload8K is an 8 KB JSON body, the size the load targets use.
func payload8K(id string) []byte {
	b := make([]byte, 0, 8192)
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","pad":"`...)
	for len(b) < 8190 {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}

// processWorker is a ProcessDeliveryArgs worker for tests: it hands each job
// to fn.
type processWorker struct {
	river.WorkerDefaults[ProcessDeliveryArgs]
	fn func(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error
}

func (w *processWorker) Work(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error {
	return w.fn(ctx, job)
}

func workersFor(fn func(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &processWorker{fn: fn})
	return w
}
