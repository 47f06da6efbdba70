// Package budget bounds the memory that request bodies and the payloads
// being processed hold at once. A Budget is a pool of bytes with a share
// reserved for small holders, so that a flood of large bodies never starves
// deliveries of ordinary size.
package budget

import (
	"context"
	"errors"
	"sync"
)

// ErrTooLarge says a request asks for more than its share could ever give.
var ErrTooLarge = errors.New("budget: more than the budget can ever grant")

// Budget is a pool of total bytes, of which reserved may be taken only by
// small holders (those of at most smallMax bytes). Small holders take from
// the reserved share first, then from the general one; others take from the
// general share only. Waiters are not queued in order: whoever fits when
// bytes come back takes them, so a small request never waits behind a large
// one.
type Budget struct {
	total, reserved, smallMax int64

	mu           sync.Mutex
	usedGeneral  int64
	usedReserved int64
	// released is closed, and replaced, whenever bytes come back, to wake
	// every waiter.
	released chan struct{}
}

// New returns a Budget of total bytes, reserved of them for holders of at
// most smallMax bytes. It panics on a negative size or reserved > total: the
// values come from validated configuration.
func New(total, reserved, smallMax int64) *Budget {
	if total < 0 || reserved < 0 || reserved > total || smallMax < 0 {
		panic("budget: invalid sizes")
	}
	return &Budget{total: total, reserved: reserved, smallMax: smallMax, released: make(chan struct{})}
}

// Total is the budget's size in bytes.
func (b *Budget) Total() int64 { return b.total }

// General is the share anyone may take: Total less the reserved share. It
// is the most a large holder can ever be granted.
func (b *Budget) General() int64 { return b.total - b.reserved }

// Capped is n, or General when that is less: the most of n one holder
// can be granted, which is what a large holder asks for.
func (b *Budget) Capped(n int64) int64 { return min(n, b.General()) }

// SmallMax is the largest holding that counts as small.
func (b *Budget) SmallMax() int64 { return b.smallMax }

// InUse returns the bytes held from the general and the reserved share.
func (b *Budget) InUse() (general, reserved int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.usedGeneral, b.usedReserved
}

// Grant is the bytes one holder has taken. Release returns them; a Grant
// is used by one goroutine.
type Grant struct {
	b                 *Budget
	general, reserved int64
}

// NewGrant returns a grant of b that holds nothing yet, to Grow.
func (b *Budget) NewGrant() *Grant { return &Grant{b: b} }

// Size is the bytes g holds.
func (g *Grant) Size() int64 { return g.general + g.reserved }

// take tries to add n bytes to g without waiting. A grant of small total
// size may use the reserved share.
func (b *Budget) take(g *Grant, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if g.Size()+n <= b.smallMax {
		if free := b.reserved - b.usedReserved; free >= n {
			b.usedReserved += n
			g.reserved += n
			return true
		}
	}
	if free := b.total - b.reserved - b.usedGeneral; free >= n {
		b.usedGeneral += n
		g.general += n
		return true
	}
	return false
}

// fits reports whether n more bytes could ever be granted to g.
func (b *Budget) fits(g *Grant, n int64) bool {
	size := g.Size() + n
	if size <= b.smallMax && n <= b.reserved {
		return true
	}
	return g.general+n <= b.total-b.reserved
}

// Acquire takes n bytes, waiting until they are free or ctx ends. It
// returns ErrTooLarge at once when n could never be granted, and ctx's
// error when it ends first; either way nothing is held.
func (b *Budget) Acquire(ctx context.Context, n int64) (*Grant, error) {
	g := b.NewGrant()
	if err := g.Grow(ctx, n); err != nil {
		return nil, err
	}
	return g, nil
}

// Grow adds n bytes to g, waiting as Acquire does. On failure g keeps what
// it held.
func (g *Grant) Grow(ctx context.Context, n int64) error {
	b := g.b
	if n < 0 {
		return errors.New("budget: negative size")
	}
	if !b.fits(g, n) {
		return ErrTooLarge
	}
	for {
		b.mu.Lock()
		wake := b.released
		b.mu.Unlock()
		if b.take(g, n) {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Shrink gives back n of g's bytes (all of them when n is more), the
// reserved ones first.
func (g *Grant) Shrink(n int64) {
	if g == nil || n <= 0 {
		return
	}
	b := g.b
	b.mu.Lock()
	r := min(n, g.reserved)
	gen := min(n-r, g.general)
	g.reserved -= r
	g.general -= gen
	b.usedReserved -= r
	b.usedGeneral -= gen
	wake := b.released
	b.released = make(chan struct{})
	b.mu.Unlock()
	close(wake)
}

// Release gives back everything g holds. It may be called more than once.
func (g *Grant) Release() {
	if g != nil {
		g.Shrink(g.Size())
	}
}
