package reporules

import (
	"context"
	"crypto/sha1" //nolint:gosec // git's blob id is SHA-1
	"encoding/hex"
	"fmt"
	"io"

	"github.com/switchboard-dev/switchboard/rules"
)

// BlobSHA is git's blob id of data: the sha GitHub's contents API gives a
// file, so a local copy is named as the server would name it.
func BlobSHA(data []byte) string {
	h := sha1.New() //nolint:gosec // git's blob id is SHA-1
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// Simulate runs r on ev as the processor would (policy checks at render
// time included) and writes, as rules.SimulateExplain does, the
// explanations to explain (when not nil) and one JSON line per action to
// w. files, when not nil, are a pull request's changed files. The error is
// what Explain reports beside its jobs, or a write error.
func (r *Rules) Simulate(ctx context.Context, ev *rules.Event, files []string, w, explain io.Writer) error {
	var lister rules.FileLister
	if files != nil {
		lister = rules.StaticFiles(files)
	}
	jobs, ex, evalErr := r.Explain(ctx, ev, lister, "")
	if explain != nil {
		if err := rules.WriteExplanations(explain, ex); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		line, err := rules.SimulationLine(j)
		if err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return evalErr
}
