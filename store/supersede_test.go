package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClaimHead(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		ctx := context.Background()
		t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		a := Head{Delivery: "d-a", SHA: "aaaaaaa1", At: t0}
		b := Head{Delivery: "d-b", SHA: "bbbbbbb2", Before: "aaaaaaa1", At: t0} // same second, chained on a
		c := Head{Delivery: "d-c", SHA: "ccccccc3", At: t0.Add(time.Minute)}
		old := Head{Delivery: "d-old", SHA: "0000001", At: t0.Add(-time.Hour)}

		steps := []struct {
			name string
			in   Head
			want string // delivery of the head after the claim
		}{
			{"first claim wins", a, "d-a"},
			{"same delivery again", a, "d-a"},
			{"chained on the head, same second", b, "d-b"},
			{"the older one delivered late loses", a, "d-b"},
			{"older by time loses", old, "d-b"},
			{"newer by time wins", c, "d-c"},
		}
		for _, st := range steps {
			got, err := s.ClaimHead(ctx, "pr", "push:acme/widgets:main", st.in)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got.Delivery != st.want {
				t.Errorf("%s: head %q, want %q", st.name, got.Delivery, st.want)
			}
		}
		h, err := s.CurrentHead(ctx, "pr", "push:acme/widgets:main")
		if err != nil || h.SHA != "ccccccc3" || !h.At.Equal(t0.Add(time.Minute)) {
			t.Errorf("CurrentHead = %+v, %v", h, err)
		}
		if _, err := s.CurrentHead(ctx, "pr", "push:acme/widgets:other"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown key: %v, want ErrNotFound", err)
		}
		if _, err := s.ClaimHead(ctx, "", "k", a); err == nil {
			t.Error("a claim without a rule was accepted")
		}
		if err := s.RecordOutcome(ctx, Outcome{Delivery: "d-a", Rule: "pr", Index: 0, Kind: "jenkins", State: OutcomeCancelled, LastError: "superseded by ccccccc"}); err != nil {
			t.Errorf("record a cancelled outcome: %v", err)
		}
	})
}
