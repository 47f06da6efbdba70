package pipeline

import (
	"sync/atomic"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
)

// Snapshot is one loaded configuration with everything compiled from it. A
// reload builds a new Snapshot and swaps it in whole, so a job never sees half
// of one configuration and half of another.
type Snapshot struct {
	Config  *config.Config
	Rules   *rules.Engine
	Actions *actions.Set
}

// Live holds the current Snapshot; safe for concurrent use.
type Live struct {
	v atomic.Pointer[Snapshot]
}

// NewLive returns a Live holding s.
func NewLive(s *Snapshot) *Live {
	l := &Live{}
	l.v.Store(s)
	return l
}

// Load returns the current Snapshot.
func (l *Live) Load() *Snapshot { return l.v.Load() }

// Swap replaces the current Snapshot.
func (l *Live) Swap(s *Snapshot) { l.v.Store(s) }
