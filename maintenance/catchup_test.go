package maintenance_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/maintenance"
	"github.com/switchboard-dev/switchboard/store"
)

// counts is the part of a PassResult a test states.
type counts struct {
	result                               string
	delivered, stored, done, inFlight    int
	redelivered, refused, failed, tooOld int
}

func countsOf(r maintenance.PassResult) counts {
	return counts{
		result: r.Result, delivered: r.Delivered, stored: r.Stored, done: r.Done, inFlight: r.InFlight,
		redelivered: r.Redelivered, refused: r.Refused, failed: r.Failed, tooOld: r.TooOld,
	}
}

// TestCatchUpAcrossPasses runs four passes over a fake GitHub delivery log,
// two entries a page. Missed events (no 2xx attempt, not in the store) are
// redelivered once each, their newest attempt; delivered, stored and
// too-old ones are left alone; a redelivery refused with 404 is recorded
// and never asked again; one refused with 502 stops the pass and is asked
// again by the next; failures that appear between passes are picked up;
// and a redelivery that fails again is not redelivered a second time.
func TestCatchUpAcrossPasses(t *testing.T) {
	eachDriver(t, func(t *testing.T, so store.Options) {
		ctx := context.Background()
		st := openStore(t, so)
		gh, creator := newGitHub(t)
		now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
		clk := newClock(now)

		if _, err := st.Enqueue(ctx, store.Delivery{ID: "stored-1", Event: "push", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		gh.AddDelivery(failed("missed-2", now.Add(-5*time.Hour), 502))
		missed2 := gh.AddDelivery(failed("missed-2", now.Add(-4*time.Hour), 0))
		gh.AddDelivery(failed("missed-1", now.Add(-2*time.Hour), 503))
		gh.AddDelivery(failed("ok-1", now.Add(-3*time.Hour), 503))
		gh.AddDelivery(delivered("ok-1", now.Add(-150*time.Minute), 202))
		gh.AddDelivery(delivered("ok-2", now.Add(-90*time.Minute), 200))
		gh.AddDelivery(failed("stored-1", now.Add(-time.Hour), 504))
		gh.AddDelivery(failed("old-1", now.Add(-73*time.Hour), 503))
		gone := gh.AddDelivery(failed("gone-1", now.Add(-6*time.Hour), 500))
		flaky := gh.AddDelivery(failed("flaky-1", now.Add(-30*time.Minute), 503))
		gh.Fail(attemptsPath(gone.ID), 1, http.StatusNotFound, "Not Found")
		gh.Fail(attemptsPath(flaky.ID), 1, http.StatusBadGateway, "Server Error")
		// Every redelivery fails again, as if the server were still down:
		// it must not be redelivered a second time all the same.
		gh.OnRedeliver(func(d fakegithub.Delivery) *fakegithub.Delivery {
			again := failed(d.GUID, clk.Now().Add(time.Second), 503)
			again.Redelivery = true
			return &again
		})

		reg := prometheus.NewRegistry()
		metrics, err := maintenance.NewMetrics(reg)
		if err != nil {
			t.Fatal(err)
		}
		logger, logs := capture()
		newCatchUp := func() *maintenance.CatchUp {
			c, err := maintenance.NewCatchUp(maintenance.CatchUpOptions{
				Log: creator, Store: st, Logger: logger, Metrics: metrics, Now: clk.Now, PerPage: 2,
			})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := newCatchUp()

		// Pass 1: the 404 is recorded, the 502 stops the pass after the
		// older events are done.
		r1 := c.Pass(ctx)
		want := counts{result: maintenance.PassIncomplete, delivered: 2, stored: 1, redelivered: 2, refused: 1, failed: 1}
		if got := countsOf(r1); got != want || r1.Err == nil {
			t.Fatalf("pass 1 = %+v (err %v), want %+v and an error", got, r1.Err, want)
		}
		if !r1.Since.Equal(now.Add(-maintenance.GitHubWindow)) {
			t.Errorf("first pass looked back to %v, want GitHub's window from %v", r1.Since, now)
		}
		if got := redeliveredGUIDs(gh); !maps.Equal(got, map[string]int{"missed-1": 1, "missed-2": 1}) {
			t.Fatalf("after pass 1 redelivered %v", got)
		}
		for _, r := range gh.Redeliveries() {
			if r.GUID == "missed-2" && r.DeliveryID != missed2.ID {
				t.Errorf("missed-2 redelivered through attempt %d, want its newest, %d", r.DeliveryID, missed2.ID)
			}
		}
		if r, err := st.Redelivery(ctx, "gone-1"); err != nil || r.State != store.RedeliveryRefused {
			t.Errorf("gone-1 record = %+v, %v; want refused", r, err)
		}
		if _, err := st.Redelivery(ctx, "flaky-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("flaky-1 claim kept after a 502: %v", err)
		}
		if at, err := st.Mark(ctx, "catch_up_high_water"); err != nil || !at.IsZero() {
			t.Errorf("an incomplete pass stored a high-water mark: %v, %v", at, err)
		}

		// Pass 2: a new failure appeared; the 502 is asked again.
		clk.Advance(10 * time.Minute)
		gh.AddDelivery(failed("missed-3", now.Add(5*time.Minute), 503))
		r2 := c.Pass(ctx)
		want = counts{result: maintenance.PassOK, delivered: 2, stored: 1, done: 3, redelivered: 2}
		if got := countsOf(r2); got != want || r2.Err != nil {
			t.Fatalf("pass 2 = %+v (err %v), want %+v", got, r2.Err, want)
		}
		mark, err := st.Mark(ctx, "catch_up_high_water")
		if err != nil || !mark.Equal(r2.HighWater) || r2.HighWater.IsZero() {
			t.Fatalf("high-water mark = %v, %v; want %v", mark, err, r2.HighWater)
		}

		// Pass 3, by a fresh CatchUp as after a change of leader: it starts
		// from the stored mark less the overlap, not from three days back.
		clk.Advance(10 * time.Minute)
		gh.AddDelivery(failed("missed-4", now.Add(15*time.Minute), 0))
		r3 := newCatchUp().Pass(ctx)
		want = counts{result: maintenance.PassOK, done: 4, redelivered: 1}
		if got := countsOf(r3); got != want {
			t.Fatalf("pass 3 = %+v (err %v), want %+v", got, r3.Err, want)
		}
		if !r3.Since.Equal(mark.Add(-maintenance.DefaultOverlap)) {
			t.Errorf("pass 3 looked back to %v, want the mark %v less the overlap", r3.Since, mark)
		}
		if total := len(gh.Deliveries()); r3.Entries >= total-5 {
			t.Errorf("pass 3 listed %d of %d entries; it should stop at the mark", r3.Entries, total)
		}

		// Pass 4: nothing new.
		clk.Advance(10 * time.Minute)
		r4 := c.Pass(ctx)
		if r4.Result != maintenance.PassOK || r4.Redelivered+r4.Refused+r4.Failed != 0 {
			t.Fatalf("pass 4 = %+v", countsOf(r4))
		}

		wantOnce := map[string]int{"missed-1": 1, "missed-2": 1, "flaky-1": 1, "missed-3": 1, "missed-4": 1}
		if got := redeliveredGUIDs(gh); !maps.Equal(got, wantOnce) {
			t.Errorf("redelivered %v, want each missed event once: %v", got, wantOnce)
		}
		if n := gh.Count(attemptsPath(gone.ID)); n != 1 {
			t.Errorf("gone-1 asked %d times, want once", n)
		}

		for _, m := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"switchboard_catchup_passes_total", map[string]string{"result": "ok"}, 3},
			{"switchboard_catchup_passes_total", map[string]string{"result": "incomplete"}, 1},
			{"switchboard_catchup_redeliveries_total", map[string]string{"result": "accepted"}, 5},
			{"switchboard_catchup_redeliveries_total", map[string]string{"result": "refused"}, 1},
			{"switchboard_catchup_redeliveries_total", map[string]string{"result": "error"}, 1},
			{"switchboard_catchup_deliveries_seen_total", nil, float64(r1.Entries + r2.Entries + r3.Entries + r4.Entries)},
			{"switchboard_catchup_last_success_timestamp_seconds", nil, float64(now.Add(30 * time.Minute).Unix())},
		} {
			if got := metricValue(t, reg, m.name, m.labels); got != m.want {
				t.Errorf("%s%v = %v, want %v", m.name, m.labels, got, m.want)
			}
		}

		var passLines []*logrus.Entry
		for _, e := range logs.AllEntries() {
			if e.Data["result"] != nil {
				passLines = append(passLines, e)
			}
		}
		if len(passLines) != 4 {
			t.Fatalf("%d pass log lines, want one per pass", len(passLines))
		}
		if l := passLines[0]; l.Level != logrus.WarnLevel || l.Data["redelivered"] != 2 || l.Data["failed"] != 1 || l.Data[logrus.ErrorKey] == nil {
			t.Errorf("pass 1 line = %v %v", l.Level, l.Data)
		}
	})
}

// TestCatchUpClaimInFlight: an event claimed by another pass (a replica
// that is asking GitHub, or died asking) is left to it while the claim is
// fresh, and the pass does not move its mark past it; once the claim is
// older than the lease and the event is still not stored, it is asked for
// again. A stale claim whose event has arrived meanwhile is left alone.
func TestCatchUpClaimInFlight(t *testing.T) {
	eachDriver(t, func(t *testing.T, so store.Options) {
		ctx := context.Background()
		st := openStore(t, so)
		gh, creator := newGitHub(t)
		now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
		clk := newClock(now)
		gh.AddDelivery(failed("claimed-elsewhere", now.Add(-time.Hour), 503))
		gh.AddDelivery(failed("arrived-meanwhile", now.Add(-time.Hour), 503))
		for _, guid := range []string{"claimed-elsewhere", "arrived-meanwhile"} {
			if ok, _, err := st.ClaimRedelivery(ctx, guid, 1, now, now); err != nil || !ok {
				t.Fatalf("claim %s: %v %v", guid, ok, err)
			}
		}
		c, err := maintenance.NewCatchUp(maintenance.CatchUpOptions{Log: creator, Store: st, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}

		r := c.Pass(ctx)
		if got, want := countsOf(r), (counts{result: maintenance.PassIncomplete, inFlight: 2}); got != want {
			t.Fatalf("pass with fresh claims = %+v, want %+v", got, want)
		}
		if at, _ := st.Mark(ctx, "catch_up_high_water"); !at.IsZero() {
			t.Errorf("mark moved to %v past events in flight", at)
		}

		if _, err := st.Enqueue(ctx, store.Delivery{ID: "arrived-meanwhile", Event: "push", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(maintenance.DefaultClaimLease + time.Second)
		r = c.Pass(ctx)
		if got, want := countsOf(r), (counts{result: maintenance.PassOK, stored: 1, redelivered: 1}); got != want {
			t.Fatalf("pass after the lease = %+v, want %+v", got, want)
		}
		if got := redeliveredGUIDs(gh); !maps.Equal(got, map[string]int{"claimed-elsewhere": 1}) {
			t.Errorf("redelivered %v", got)
		}
	})
}

// TestCatchUpGitHubRefusesForNow: a rate limit or a server error, listing
// or redelivering, ends the pass without moving its mark; the next pass
// does the work.
func TestCatchUpGitHubRefusesForNow(t *testing.T) {
	tests := []struct {
		name   string
		arm    func(gh *fakegithub.Server, id int64)
		result string
	}{
		{name: "listing 503", result: maintenance.PassError, arm: func(gh *fakegithub.Server, _ int64) {
			gh.Fail("GET /app/hook/deliveries", 1, http.StatusServiceUnavailable, "Service Unavailable")
		}},
		{name: "redeliver 500", result: maintenance.PassIncomplete, arm: func(gh *fakegithub.Server, id int64) {
			gh.Fail(attemptsPath(id), 1, http.StatusInternalServerError, "Server Error")
		}},
		{name: "redeliver primary rate limit", result: maintenance.PassIncomplete, arm: func(gh *fakegithub.Server, id int64) {
			// A reset already due: go-github refuses, without asking, every
			// request before a reset still to come.
			gh.RateLimit(attemptsPath(id), 1, http.StatusForbidden, time.Now())
		}},
		{name: "redeliver secondary rate limit", result: maintenance.PassIncomplete, arm: func(gh *fakegithub.Server, id int64) {
			// No Retry-After (GitHub may leave it out): with one, go-github
			// refuses every request until then without asking.
			gh.SecondaryRateLimit(attemptsPath(id), 1, http.StatusForbidden, 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachDriver(t, func(t *testing.T, so store.Options) {
				ctx := context.Background()
				st := openStore(t, so)
				gh, creator := newGitHub(t)
				now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
				d := gh.AddDelivery(failed("missed", now.Add(-time.Minute), 503))
				tt.arm(gh, d.ID)
				c, err := maintenance.NewCatchUp(maintenance.CatchUpOptions{Log: creator, Store: st, Now: newClock(now).Now})
				if err != nil {
					t.Fatal(err)
				}
				if r := c.Pass(ctx); r.Result != tt.result || r.Err == nil || r.Redelivered != 0 {
					t.Fatalf("first pass = %+v (err %v), want %s with an error", countsOf(r), r.Err, tt.result)
				}
				if at, _ := st.Mark(ctx, "catch_up_high_water"); !at.IsZero() {
					t.Errorf("mark moved to %v", at)
				}
				if r := c.Pass(ctx); r.Result != maintenance.PassOK || r.Redelivered != 1 {
					t.Fatalf("second pass = %+v (err %v), want ok with one redelivery", countsOf(r), r.Err)
				}
				if got := redeliveredGUIDs(gh); got["missed"] != 1 {
					t.Errorf("redelivered %v", got)
				}
			})
		})
	}
}

// TestCatchUpEventAgesOutDuringPass: an event inside GitHub's window when
// the pass starts but past it by the time the pass reaches it is left
// alone; GitHub would refuse it.
func TestCatchUpEventAgesOutDuringPass(t *testing.T) {
	eachDriver(t, func(t *testing.T, so store.Options) {
		st := openStore(t, so)
		gh, creator := newGitHub(t)
		start := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
		gh.AddDelivery(failed("edge", start.Add(-maintenance.GitHubWindow+time.Minute), 503))
		gh.AddDelivery(failed("fresh", start.Add(-time.Hour), 503))
		// The first reading is the pass's start; every later one is an
		// hour on, as in a pass that took that long.
		calls := 0
		now := func() time.Time {
			calls++
			if calls == 1 {
				return start
			}
			return start.Add(time.Hour)
		}
		c, err := maintenance.NewCatchUp(maintenance.CatchUpOptions{Log: creator, Store: st, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		r := c.Pass(context.Background())
		if got, want := countsOf(r), (counts{result: maintenance.PassOK, tooOld: 1, redelivered: 1}); got != want {
			t.Fatalf("pass = %+v, want %+v", got, want)
		}
		if got := redeliveredGUIDs(gh); !maps.Equal(got, map[string]int{"fresh": 1}) {
			t.Errorf("redelivered %v", got)
		}
	})
}
