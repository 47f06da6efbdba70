package budget

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGrants(t *testing.T) {
	const mib = 1 << 20
	tests := map[string]struct {
		held []int64 // taken first, in order, without waiting
		ask  int64
		ok   bool
		err  error // when !ok: ErrTooLarge, or nil for "must wait"
	}{
		"large fits the general share":                 {held: nil, ask: 48 * mib, ok: true},
		"large never gets the reserved share":          {held: []int64{40 * mib}, ask: 20 * mib, ok: false},
		"large over the general share is refused":      {ask: 49 * mib, err: ErrTooLarge},
		"small takes the reserved share under a flood": {held: []int64{24 * mib, 24 * mib}, ask: mib, ok: true},
		"small takes the general share once reserved is gone": {
			held: []int64{mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib}, ask: mib, ok: true},
		"small waits when both shares are gone": {
			held: []int64{48 * mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib, mib}, ask: mib, ok: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := New(64*mib, 16*mib, mib)
			for _, n := range tc.held {
				if _, err := b.Acquire(context.Background(), n); err != nil {
					t.Fatalf("holding %d: %v", n, err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // no waiting: an answer now or ctx's error
			g, err := b.Acquire(ctx, tc.ask)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("Acquire(%d) = %v, want a grant", tc.ask, err)
			case tc.ok:
				if g.Size() != tc.ask {
					t.Errorf("grant of %d bytes, want %d", g.Size(), tc.ask)
				}
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("Acquire(%d) = %v, want %v", tc.ask, err, tc.err)
			case tc.err == nil && !errors.Is(err, context.Canceled):
				t.Fatalf("Acquire(%d) = %v, want to wait (context canceled)", tc.ask, err)
			}
		})
	}
}

// A waiter is granted its bytes when another holder releases them, and a
// waiter whose context ends holds nothing.
func TestWaitAndRelease(t *testing.T) {
	b := New(100, 20, 10)
	big, err := b.Acquire(context.Background(), 80)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		g, err := b.Acquire(context.Background(), 50)
		if err == nil && g.Size() != 50 {
			err = errors.New("wrong size")
		}
		got <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(ctx, 30); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second large request = %v, want to wait past its deadline", err)
	}
	if gen, res := b.InUse(); gen != 80 || res != 0 {
		t.Fatalf("in use %d+%d, want 80+0: a waiter that gave up must hold nothing", gen, res)
	}
	big.Release()
	big.Release() // twice is harmless
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if gen, res := b.InUse(); gen != 50 || res != 0 {
		t.Fatalf("in use %d+%d, want 50+0", gen, res)
	}
}

// A grant that grows past the small size takes the rest from the general
// share, and Shrink gives back the reserved bytes first.
func TestGrowAndShrink(t *testing.T) {
	b := New(100, 20, 10)
	g, err := b.Acquire(context.Background(), 8)
	if err != nil {
		t.Fatal(err)
	}
	if gen, res := b.InUse(); gen != 0 || res != 8 {
		t.Fatalf("in use %d+%d, want 0+8", gen, res)
	}
	if err := g.Grow(context.Background(), 30); err != nil {
		t.Fatal(err)
	}
	if gen, res := b.InUse(); gen != 30 || res != 8 {
		t.Fatalf("in use %d+%d, want 30+8", gen, res)
	}
	if err := g.Grow(context.Background(), 60); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("growing past the general share = %v, want ErrTooLarge", err)
	}
	g.Shrink(10)
	if gen, res := b.InUse(); gen != 28 || res != 0 {
		t.Fatalf("in use %d+%d, want 28+0", gen, res)
	}
	g.Release()
	if gen, res := b.InUse(); gen != 0 || res != 0 {
		t.Fatalf("in use %d+%d after release, want 0", gen, res)
	}
}

func TestCapped(t *testing.T) {
	b := New(100, 20, 10) // general share 80
	for name, tc := range map[string]struct{ n, want int64 }{
		"below the general share": {30, 30},
		"the general share":       {80, 80},
		"over it":                 {500, 80},
	} {
		t.Run(name, func(t *testing.T) {
			if got := b.Capped(tc.n); got != tc.want {
				t.Errorf("Capped(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}
