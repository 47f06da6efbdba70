package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestClaimRedelivery(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := openStore(t, db.options(t))
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		claim := func(guid string, id int64, now, staleBefore time.Time) (bool, *Redelivery) {
			t.Helper()
			ok, r, err := s.ClaimRedelivery(ctx, guid, id, now, staleBefore)
			if err != nil {
				t.Fatalf("ClaimRedelivery(%s): %v", guid, err)
			}
			return ok, r
		}

		if ok, _ := claim("g1", 10, t0, t0.Add(-time.Hour)); !ok {
			t.Fatal("first claim refused")
		}
		ok, r := claim("g1", 11, t0.Add(time.Minute), t0.Add(-time.Hour))
		if ok || r == nil || r.State != RedeliveryClaimed || r.HookDeliveryID != 10 || !r.ClaimedAt.Equal(t0) {
			t.Fatalf("claim while in flight = %v, %+v; want refused with the first claim", ok, r)
		}
		// The claimant died: once its claim is older than staleBefore it
		// may be taken again.
		if ok, _ := claim("g1", 12, t0.Add(time.Hour), t0.Add(time.Second)); !ok {
			t.Fatal("stale claim not retaken")
		}
		if r, err := s.Redelivery(ctx, "g1"); err != nil || r.HookDeliveryID != 12 || !r.ClaimedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after retake: %+v, %v", r, err)
		}

		if err := s.FinishRedelivery(ctx, "g1", RedeliveryAccepted, "", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		ok, r = claim("g1", 13, t0.Add(100*time.Hour), t0.Add(100*time.Hour))
		if ok || r.State != RedeliveryAccepted || !r.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("claim after acceptance = %v, %+v; want refused, accepted", ok, r)
		}
		if err := s.ReleaseRedelivery(ctx, "g1"); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Redelivery(ctx, "g1"); err != nil || r.State != RedeliveryAccepted {
			t.Fatalf("release removed a finished record: %+v, %v", r, err)
		}

		// A claim released after a transient failure can be claimed again
		// at once.
		if ok, _ := claim("g2", 20, t0, t0.Add(-time.Hour)); !ok {
			t.Fatal("claim g2 refused")
		}
		if err := s.ReleaseRedelivery(ctx, "g2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Redelivery(ctx, "g2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("released claim still there: %v", err)
		}
		if ok, _ := claim("g2", 20, t0, t0.Add(-time.Hour)); !ok {
			t.Fatal("claim after release refused")
		}
		if err := s.FinishRedelivery(ctx, "g2", RedeliveryRefused, "Not Found", t0); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Redelivery(ctx, "g2"); err != nil || r.State != RedeliveryRefused || r.Detail != "Not Found" {
			t.Fatalf("refused record: %+v, %v", r, err)
		}
		if err := s.FinishRedelivery(ctx, "g2", RedeliveryClaimed, "", t0); err == nil {
			t.Error("FinishRedelivery accepted the claimed state")
		}
		if _, _, err := s.ClaimRedelivery(ctx, "", 1, t0, t0); err == nil {
			t.Error("ClaimRedelivery accepted an empty GUID")
		}
	})
}

// TestClaimRedeliveryOnce has several claimants race for one GUID, as two
// passes on two replicas would after a change of leader: exactly one wins.
func TestClaimRedeliveryOnce(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		const claimants = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for i := range claimants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := s.ClaimRedelivery(context.Background(), "race", int64(i), now, now.Add(-time.Hour))
				if err != nil {
					t.Errorf("claimant %d: %v", i, err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d claimants won, want 1", wins)
		}
	})
}

func TestMarks(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := openStore(t, db.options(t))
		if at, err := s.Mark(ctx, "m"); err != nil || !at.IsZero() {
			t.Fatalf("unset mark = %v, %v; want zero", at, err)
		}
		for _, at := range []time.Time{
			time.Date(2026, 5, 1, 12, 0, 0, 123000, time.UTC),
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		} {
			if err := s.SetMark(ctx, "m", at); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Mark(ctx, "m"); err != nil || !got.Equal(at) {
				t.Fatalf("mark = %v, %v; want %v", got, err, at)
			}
		}
		if at, err := s.Mark(ctx, "other"); err != nil || !at.IsZero() {
			t.Fatalf("other mark = %v, %v", at, err)
		}
	})
}
