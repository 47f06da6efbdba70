package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestEnqueueStoresDeliveryAndQueuesOneJob(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		startStore(t, s)
		ctx := context.Background()

		d := Delivery{
			ID:         "72d3162e-cc78-11e3-81ab-4c9367dc0958",
			Event:      "push",
			Payload:    payload8K("a"),
			ReceivedAt: time.Date(2026, 5, 1, 12, 30, 45, 123456000, time.UTC),
		}
		dup, err := s.Enqueue(ctx, d)
		if err != nil || dup {
			t.Fatalf("Enqueue = %v, %v; want false, nil", dup, err)
		}

		got, err := s.Delivery(ctx, d.ID)
		if err != nil {
			t.Fatalf("Delivery: %v", err)
		}
		if got.ID != d.ID || got.Event != d.Event || !bytes.Equal(got.Payload, d.Payload) || !got.ReceivedAt.Equal(d.ReceivedAt) {
			t.Errorf("Delivery = {%s %s %d bytes %s}, want {%s %s %d bytes %s}",
				got.ID, got.Event, len(got.Payload), got.ReceivedAt, d.ID, d.Event, len(d.Payload), d.ReceivedAt)
		}
		if has, err := s.HasDelivery(ctx, d.ID); err != nil || !has {
			t.Errorf("HasDelivery(stored) = %v, %v; want true, nil", has, err)
		}
		if has, err := s.HasDelivery(ctx, "other"); err != nil || has {
			t.Errorf("HasDelivery(other) = %v, %v; want false, nil", has, err)
		}
		if _, err := s.Delivery(ctx, "other"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delivery(other) error = %v, want ErrNotFound", err)
		}

		jobs := jobsOfKind(t, s, ProcessDeliveryArgs{}.Kind())
		if len(jobs) != 1 {
			t.Fatalf("%d process jobs, want 1", len(jobs))
		}
		var args ProcessDeliveryArgs
		if err := json.Unmarshal(jobs[0].EncodedArgs, &args); err != nil {
			t.Fatal(err)
		}
		if want := (ProcessDeliveryArgs{Delivery: d.ID, Event: "push", Size: int64(len(d.Payload))}); args != want {
			t.Errorf("job args = %+v, want %+v", args, want)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestEnqueueDuplicateQueuesNothing(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		startStore(t, s)
		ctx := context.Background()

		first := Delivery{ID: "d1", Event: "push", Payload: []byte(`{"first":true}`)}
		if dup, err := s.Enqueue(ctx, first); err != nil || dup {
			t.Fatalf("first Enqueue = %v, %v", dup, err)
		}
		again := Delivery{ID: "d1", Event: "push", Payload: []byte(`{"first":false}`)}
		dup, err := s.Enqueue(ctx, again)
		if err != nil || !dup {
			t.Fatalf("second Enqueue = %v, %v; want true, nil", dup, err)
		}
		got, err := s.Delivery(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Payload) != `{"first":true}` {
			t.Errorf("stored payload = %s; a duplicate must not overwrite", got.Payload)
		}
		if n := len(jobsOfKind(t, s, ProcessDeliveryArgs{}.Kind())); n != 1 {
			t.Errorf("%d process jobs, want 1", n)
		}
	})
}

func TestEnqueueConcurrentSameIDOneWins(t *testing.T) {
	const ids, callersPerID = 8, 8
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		startStore(t, s)

		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners = map[string]int{}
			errs    []error
		)
		begin := make(chan struct{})
		for i := range ids * callersPerID {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("delivery-%d", i%ids)
				<-begin
				dup, err := s.Enqueue(context.Background(), Delivery{ID: id, Event: "push", Payload: payload8K(id)})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				} else if !dup {
					winners[id]++
				}
			}()
		}
		close(begin)
		wg.Wait()

		if len(errs) > 0 {
			t.Fatalf("%d Enqueue errors, first: %v", len(errs), errs[0])
		}
		for i := range ids {
			id := fmt.Sprintf("delivery-%d", i)
			if winners[id] != 1 {
				t.Errorf("%s: %d non-duplicate answers, want 1", id, winners[id])
			}
		}
		if n := len(jobsOfKind(t, s, ProcessDeliveryArgs{}.Kind())); n != ids {
			t.Errorf("%d process jobs, want %d", n, ids)
		}
	})
}

// failJobInserts makes every insert into river_job fail, so a batch fails
// after its delivery rows were written; the returned func undoes it.
func failJobInserts(t *testing.T, s *Store, driver string) (undo func()) {
	t.Helper()
	ctx := context.Background()
	var create, drop []string
	switch driver {
	case DriverSQLite:
		create = []string{`CREATE TRIGGER test_fail_jobs BEFORE INSERT ON river_job
			BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
		drop = []string{`DROP TRIGGER test_fail_jobs`}
	case DriverPostgres:
		create = []string{
			`CREATE FUNCTION test_fail_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
			 BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			`CREATE TRIGGER test_fail_jobs BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION test_fail_jobs()`,
		}
		drop = []string{`DROP TRIGGER test_fail_jobs ON river_job`, `DROP FUNCTION test_fail_jobs()`}
	}
	for _, q := range create {
		if _, err := s.q.pool().exec(ctx, q); err != nil {
			t.Fatalf("inject failure: %v", err)
		}
	}
	return func() {
		for _, q := range drop {
			if _, err := s.q.pool().exec(ctx, q); err != nil {
				t.Fatalf("remove failure: %v", err)
			}
		}
	}
}

func TestEnqueueFailedCommitStoresNothingAndRetryWorks(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		reg := prometheus.NewRegistry()
		o := db.options(t)
		o.Registerer = reg
		s := openStore(t, o)
		startStore(t, s)
		ctx := context.Background()

		undo := failJobInserts(t, s, db.driver)
		d := Delivery{ID: "d-fail", Event: "issues", Payload: []byte(`{}`)}
		dup, err := s.Enqueue(ctx, d)
		if !errors.Is(err, ErrUnavailable) || dup {
			t.Fatalf("Enqueue with failing job insert = %v, %v; want false, ErrUnavailable", dup, err)
		}
		if has, err := s.HasDelivery(ctx, d.ID); err != nil || has {
			t.Fatalf("HasDelivery after failed batch = %v, %v; want false: the batch must roll back", has, err)
		}
		if got := testutil.ToFloat64(s.metrics.enqueueErrors); got != 1 {
			t.Errorf("switchboard_store_enqueue_errors_total = %v, want 1", got)
		}
		undo()

		if dup, err := s.Enqueue(ctx, d); err != nil || dup {
			t.Fatalf("retry Enqueue = %v, %v; want false, nil", dup, err)
		}
		if n := len(jobsOfKind(t, s, ProcessDeliveryArgs{}.Kind())); n != 1 {
			t.Errorf("%d process jobs after retry, want 1", n)
		}
	})
}

func TestEnqueueDatabaseGone(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		startStore(t, s)
		ctx := context.Background()

		if err := s.q.close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enqueue(ctx, Delivery{ID: "d", Event: "push"}); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Enqueue on closed database: %v, want ErrUnavailable", err)
		}
		if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Ping on closed database: %v, want ErrUnavailable", err)
		}
		if _, err := s.HasDelivery(ctx, "d"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("HasDelivery on closed database: %v, want ErrUnavailable", err)
		}
	})
}

func TestEnqueueRefusals(t *testing.T) {
	s := openStore(t, newSQLiteDB(t).options(t))
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	// Before Start, the writer is not running.
	if _, err := s.Enqueue(ctx, Delivery{ID: "d", Event: "push"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Enqueue before Start: %v, want ErrUnavailable", err)
	}
	startStore(t, s)

	tests := []struct {
		name string
		ctx  context.Context
		d    Delivery
		want error // nil: any non-nil error that is not ErrUnavailable
	}{
		{name: "no ID", ctx: ctx, d: Delivery{Event: "push"}},
		{name: "no event", ctx: ctx, d: Delivery{ID: "x"}},
		{name: "cancelled caller", ctx: cancelled, d: Delivery{ID: "cancelled", Event: "push"}, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Enqueue(tt.ctx, tt.d)
			switch {
			case err == nil:
				t.Fatal("Enqueue succeeded")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Enqueue error %v, want %v", err, tt.want)
			case tt.want == nil && errors.Is(err, ErrUnavailable):
				t.Fatalf("Enqueue error %v is ErrUnavailable; a bad request is not an outage", err)
			}
			if tt.d.ID == "" {
				return
			}
			if has, err := s.HasDelivery(ctx, tt.d.ID); err != nil || has {
				t.Errorf("HasDelivery = %v, %v; a refused delivery must not be stored", has, err)
			}
		})
	}

	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, Delivery{ID: "late", Event: "push"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Enqueue after Stop: %v, want ErrUnavailable", err)
	}
}

// TestEnqueueAcrossReplicas sends the same deliveries, in opposite orders,
// through two stores on one Postgres schema, as two replicas behind a load
// balancer see a redelivery: each ID is stored and queued once, and no
// batch fails (overlapping batches must not deadlock).
func TestEnqueueAcrossReplicas(t *testing.T) {
	db := newPostgresDB(t)
	replicas := []*Store{openStore(t, db.options(t)), openStore(t, db.options(t))}
	for _, s := range replicas {
		startStore(t, s)
	}
	const ids, rounds = 32, 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners = map[string]int{}
		errs    []error
	)
	for r, s := range replicas {
		for g := range rounds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ids {
					n := i
					if (r+g)%2 == 1 {
						n = ids - 1 - i
					}
					id := fmt.Sprintf("replicated-%d", n)
					dup, err := s.Enqueue(context.Background(), Delivery{ID: id, Event: "push", Payload: []byte(`{}`)})
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else if !dup {
						winners[id]++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d Enqueue errors, first: %v", len(errs), errs[0])
	}
	for i := range ids {
		if id := fmt.Sprintf("replicated-%d", i); winners[id] != 1 {
			t.Errorf("%s: %d non-duplicate answers, want 1", id, winners[id])
		}
	}
	if n := len(jobsOfKind(t, replicas[0], ProcessDeliveryArgs{}.Kind())); n != ids {
		t.Errorf("%d process jobs, want %d", n, ids)
	}
}
