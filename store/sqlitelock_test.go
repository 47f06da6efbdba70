package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Only one process may run the jobs of a SQLite file: a second store with
// workers on it is refused, naming the holder, while an insert-only store
// (a tool) may still open it; once the first closes, the file is free.
func TestSecondWorkingStoreOnOneSQLiteFileRefused(t *testing.T) {
	db := newSQLiteDB(t)
	noop := func(context.Context, *river.Job[ProcessDeliveryArgs]) error { return nil }
	o := db.options(t)
	o.Workers = workersFor(noop)
	first, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}

	o2 := db.options(t)
	o2.Workers = workersFor(noop)
	_, err = Open(context.Background(), o2)
	if !errors.Is(err, ErrStoreInUse) {
		t.Fatalf("second Open: %v, want ErrStoreInUse", err)
	}
	want := "store: the SQLite file is in use by another switchboard serve (" + db.dsn + ".lock held by pid " +
		strconv.Itoa(os.Getpid()) + "); only one process may serve a SQLite store: stop the other one, or use Postgres for several replicas"
	if err.Error() != want {
		t.Errorf("second Open:\n got %s\nwant %s", err, want)
	}

	tool := openStore(t, db.options(t)) // insert-only: takes no lock
	if err := tool.Ping(context.Background()); err != nil {
		t.Errorf("insert-only store beside the working one: %v", err)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Open(context.Background(), o2)
	if err != nil {
		t.Fatalf("Open after the first closed: %v", err)
	}
	if err := third.Close(); err != nil {
		t.Fatal(err)
	}
}

// A job left "running" by a process that died runs again as soon as the
// next process starts, though the rescue window is an hour; a job that had
// used its last attempt is discarded, as River's rescuer would.
func TestSQLiteResumesRunningJobsAtStart(t *testing.T) {
	db := newSQLiteDB(t)
	// Queue two jobs with an insert-only store, then mark them running as a
	// killed process would have left them.
	ins := openStore(t, db.options(t))
	startStore(t, ins)
	for _, id := range []string{"d-interrupted", "d-spent"} {
		if _, err := ins.Enqueue(context.Background(), Delivery{ID: id, Event: "push", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", db.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'),
		max_attempts = CASE WHEN json_extract(args, '$.delivery') = 'd-spent' THEN 1 ELSE 25 END`); err != nil {
		t.Fatal(err)
	}

	ran := make(chan string, 2)
	o := db.options(t)
	o.RescueAfter = time.Hour
	o.Workers = workersFor(func(_ context.Context, job *river.Job[ProcessDeliveryArgs]) error {
		ran <- job.Args.Delivery
		return nil
	})
	s := openStore(t, o)
	startStore(t, s)
	select {
	case id := <-ran:
		if id != "d-interrupted" {
			t.Fatalf("ran %s, want d-interrupted", id)
		}
	case <-time.After(waitLimit):
		t.Fatal("the interrupted job did not run again")
	}

	byDelivery := map[string]*rivertype.JobRow{}
	for _, j := range jobsOfKind(t, s, ProcessDeliveryArgs{}.Kind()) {
		var args ProcessDeliveryArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			t.Fatal(err)
		}
		byDelivery[args.Delivery] = j
	}
	spent := byDelivery["d-spent"]
	if spent == nil || spent.State != rivertype.JobStateDiscarded {
		t.Fatalf("spent job: %+v, want discarded", spent)
	}
	if n := len(spent.Errors); n != 1 || !strings.Contains(spent.Errors[0].Error, "interrupted") || spent.Errors[0].Attempt != 1 {
		t.Errorf("spent job errors: %+v", spent.Errors)
	}
	select {
	case id := <-ran:
		t.Errorf("discarded job %s ran", id)
	default:
	}
}

// A working store whose lock file cannot be created (its directory is
// missing) is refused with the file named and the cause, before SQLite is
// touched.
func TestSQLiteLockFileCannotBeCreated(t *testing.T) {
	o := newSQLiteDB(t).options(t)
	o.DSN = filepath.Join(t.TempDir(), "missing", "switchboard.db")
	o.Workers = workersFor(func(context.Context, *river.Job[ProcessDeliveryArgs]) error { return nil })
	_, err := Open(context.Background(), o)
	if err == nil || err.Error() != "store: lock file switchboard.db.lock: no such file or directory" {
		t.Fatalf("Open: %v", err)
	}
}
