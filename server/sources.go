package server

import (
	"time"

	"github.com/switchboard-dev/switchboard/handlers"
	"github.com/switchboard-dev/switchboard/pipeline"
)

// sourceLookup gives intake the Stripe and Slack sources of the live
// configuration, so that a reload adds, removes or rotates them.
func sourceLookup(live *pipeline.Live) handlers.SourceLookup {
	return func(kind, name string) ([]string, time.Duration, bool) {
		src := live.Load().Config.Sources.Named(kind, name)
		if src == nil {
			return nil, 0, false
		}
		return src.Secrets(), src.Tolerance.Std(), true
	}
}
