package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// Run with, for example:
//
//	go test -run '^$' -bench 'Enqueue' -benchtime 5s ./store/
//	go test -run '^$' -bench 'JobCompletion' -benchtime 10000x ./store/
//
// BenchmarkEnqueue drives Enqueue from 32 goroutines with 8 KB payloads,
// as the load target does, without HTTP.
func BenchmarkEnqueue(b *testing.B) {
	cases := []struct {
		name string
		db   func(b *testing.B) testDB
		mod  func(o *Options)
	}{
		{name: "sqlite/batched", db: func(b *testing.B) testDB { return newSQLiteDB(b) }},
		// One transaction per delivery, for comparison.
		{name: "sqlite/unbatched", db: func(b *testing.B) testDB { return newSQLiteDB(b) }, mod: func(o *Options) { o.BatchMaxSize = 1 }},
		{name: "postgres/batched", db: func(b *testing.B) testDB { return newPostgresDB(b) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			o := c.db(b).options(b)
			if c.mod != nil {
				c.mod(&o)
			}
			s := openStore(b, o)
			startStore(b, s)
			payload := payload8K("bench")
			var seq atomic.Int64
			prefix := randomHex(b, 4)

			b.SetParallelism(16) // 32 senders on this 2-core machine
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("%s-%d", prefix, seq.Add(1))
					if _, err := s.Enqueue(context.Background(), Delivery{ID: id, Event: "push", Payload: payload}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkJobCompletion measures how fast River completes no-op jobs on
// SQLite: b.N process jobs are queued first, then the clock runs from Start
// until the last completion event.
func BenchmarkJobCompletion(b *testing.B) {
	cases := []struct {
		name     string
		cooldown time.Duration
	}{
		{name: "default_options"}, // the store's SQLite default, 1 ms
		{name: "river_default_cooldown_100ms", cooldown: 100 * time.Millisecond},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			o := newSQLiteDB(b).options(b)
			o.FetchCooldown = c.cooldown
			o.Workers = workersFor(func(context.Context, *river.Job[ProcessDeliveryArgs]) error { return nil })
			s := openStore(b, o)
			queueProcessJobs(b, s, b.N)

			completed, stop := countCompletions(s)
			defer stop()
			b.ResetTimer()
			startStore(b, s)
			waitCount(b, completed, int64(b.N), 10*time.Minute)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkEnqueueWhileWorking runs intake and no-op process jobs in one
// process on SQLite: both share the one connection, so this is what the
// server sees under sustained load.
func BenchmarkEnqueueWhileWorking(b *testing.B) {
	o := newSQLiteDB(b).options(b)
	o.Workers = workersFor(func(context.Context, *river.Job[ProcessDeliveryArgs]) error { return nil })
	s := openStore(b, o)
	completed, stop := countCompletions(s)
	defer stop()
	startStore(b, s)
	payload := payload8K("bench")
	var seq atomic.Int64
	prefix := randomHex(b, 4)

	b.SetParallelism(16)
	b.ResetTimer()
	done0 := completed.Load()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("%s-%d", prefix, seq.Add(1))
			if _, err := s.Enqueue(context.Background(), Delivery{ID: id, Event: "push", Payload: payload}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "deliveries/s")
	b.ReportMetric(float64(completed.Load()-done0)/secs, "jobs/s")
}

// queueProcessJobs inserts n process jobs directly, in chunks.
func queueProcessJobs(b *testing.B, s *Store, n int) {
	b.Helper()
	const chunk = 1000
	for i := 0; i < n; i += chunk {
		params := make([]river.InsertManyParams, 0, chunk)
		for j := i; j < min(n, i+chunk); j++ {
			params = append(params, river.InsertManyParams{Args: ProcessDeliveryArgs{Delivery: fmt.Sprint(j), Event: "push"}})
		}
		err := s.q.inTx(context.Background(), false, func(ctx context.Context, _ querier, jobs txJobs) error {
			_, err := jobs.insertFast(ctx, params)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// countCompletions counts completed-job events until stop is called.
func countCompletions(s *Store) (*atomic.Int64, func()) {
	var n atomic.Int64
	events, cancel := s.Subscribe(river.EventKindJobCompleted)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range events {
			n.Add(1)
		}
	}()
	return &n, func() { cancel(); <-done }
}

// waitCount polls c until it reaches want; River's event channel may drop
// events when full, so the deadline turns a lost event into a failure, not
// a hang.
func waitCount(b *testing.B, c *atomic.Int64, want int64, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for c.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d completions seen", c.Load(), want)
		}
		<-tick.C
	}
}
