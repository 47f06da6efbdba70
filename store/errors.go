package store

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a delivery or an outcome is not stored.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable wraps every failure to reach the database or to write and
// commit to it. The HTTP layer answers 503 on it, so GitHub shows the
// delivery as failed and it can be redelivered.
var ErrUnavailable = errors.New("store: unavailable")

// ErrNotClaimed says a claimed job was no longer running when its end
// came: River took it back (resumed at a start, or rescued on Postgres),
// and another attempt owns it now. Nothing of the end was written.
var ErrNotClaimed = errors.New("store: the claimed job is no longer running")

// unavailable wraps err so that errors.Is finds both ErrUnavailable and the
// cause (context.Canceled, a driver error, ...).
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
