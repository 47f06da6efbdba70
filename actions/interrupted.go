package actions

import "context"

type interruptedKey struct{}

// WithInterrupted marks ctx as the run after an attempt that never reported
// back (its process died mid-call): the attempt's effect may have happened,
// so a runner whose effect is not idempotent must check before acting again.
func WithInterrupted(ctx context.Context) context.Context {
	return context.WithValue(ctx, interruptedKey{}, true)
}

// Interrupted reports whether ctx was marked by WithInterrupted.
func Interrupted(ctx context.Context) bool {
	v, _ := ctx.Value(interruptedKey{}).(bool)
	return v
}
