package maintenance_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/maintenance"
	"github.com/switchboard-dev/switchboard/store"
)

func TestRegisterSchedules(t *testing.T) {
	c, err := maintenance.NewCatchUp(maintenance.CatchUpOptions{Log: &noLog{}, Store: &store.Store{}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := maintenance.NewRetention(maintenance.RetentionOptions{Store: &store.Store{}, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    maintenance.Schedule
		want int
	}{
		{name: "both", s: maintenance.Schedule{CatchUp: c, CatchUpEvery: time.Minute, Retention: r}, want: 2},
		{name: "catch-up interval 0 means never", s: maintenance.Schedule{CatchUp: c, Retention: r}, want: 1},
		{name: "no App credentials", s: maintenance.Schedule{CatchUpEvery: time.Minute, Retention: r}, want: 1},
		{name: "nothing", s: maintenance.Schedule{}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maintenance.Register(river.NewWorkers(), tt.s); len(got) != tt.want {
				t.Errorf("%d periodic jobs, want %d", len(got), tt.want)
			}
		})
	}
}

// noLog is a DeliveryLog for tests that never reach GitHub.
type noLog struct{}

func (*noLog) HookDeliveries(context.Context, string, int) ([]*github.HookDelivery, string, error) {
	return nil, "", nil
}

func (*noLog) Redeliver(context.Context, int64) error { return nil }

// lazyStore lets the workers be built before the store they use is open,
// as the server does: River needs the workers to open the store.
type lazyStore struct{ *store.Store }

// TestPeriodicJobsRunOnStart opens a store with the maintenance workers and
// periodic jobs, an hour apart: as soon as the store starts, its River
// client becomes leader and runs both once, so a missed delivery in the
// fake GitHub's log is redelivered and a delivery past retention deleted.
func TestPeriodicJobsRunOnStart(t *testing.T) {
	eachDriver(t, func(t *testing.T, so store.Options) {
		ctx := context.Background()
		seed := openStore(t, so)
		old := store.Delivery{ID: "old", Event: "push", Payload: []byte(`{}`), ReceivedAt: time.Now().Add(-200 * time.Hour)}
		if _, err := seed.Enqueue(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := seed.Close(); err != nil {
			t.Fatal(err)
		}

		gh, creator := newGitHub(t)
		gh.AddDelivery(failed("missed", time.Now().Add(-time.Minute), 503))
		lazy := &lazyStore{}
		c, err := maintenance.NewCatchUp(maintenance.CatchUpOptions{Log: creator, Store: lazy})
		if err != nil {
			t.Fatal(err)
		}
		r, err := maintenance.NewRetention(maintenance.RetentionOptions{Store: lazy, Retention: 168 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		so.Workers = processWorkers()
		so.PeriodicJobs = maintenance.Register(so.Workers, maintenance.Schedule{
			CatchUp: c, CatchUpEvery: time.Hour, Retention: r, RetentionEvery: time.Hour,
		})
		s, err := store.Open(ctx, so)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		lazy.Store = s
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}

		wctx, cancel := context.WithTimeout(ctx, waitLimit)
		defer cancel()
		if err := gh.Wait(wctx, func() bool { return len(gh.Redeliveries()) > 0 }); err != nil {
			t.Fatalf("the catch-up did not run at start: %v", err)
		}
		deadline := time.Now().Add(waitLimit)
		for {
			has, err := s.HasDelivery(ctx, "old")
			if err != nil {
				t.Fatal(err)
			}
			if !has {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the retention did not run at start")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := redeliveredGUIDs(gh); got["missed"] != 1 || len(got) != 1 {
			t.Errorf("redelivered %v, want missed once", got)
		}
	})
}

func TestRetentionEvery(t *testing.T) {
	tests := []struct {
		name string
		keep time.Duration
		want time.Duration
	}{
		{name: "default retention", keep: 7 * 24 * time.Hour, want: maintenance.DefaultRetentionEvery},
		{name: "an hour", keep: time.Hour, want: 10 * time.Minute},
		{name: "short", keep: 2 * time.Minute, want: 30 * time.Second},
		{name: "at least a second", keep: time.Second, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maintenance.RetentionEvery(tt.keep); got != tt.want {
				t.Errorf("RetentionEvery(%s) = %s, want %s", tt.keep, got, tt.want)
			}
		})
	}
}
