package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/switchboard-dev/switchboard/actions"
)

// Simulate runs the rules of e on one payload and writes to w, one JSON
// object a line, each action that would run:
//
//	{"rule":"build-main","action":"jenkins","server":"main","job":"acme/x/main",...}
//
// The fields after rule and action are the rendered fields of that kind of
// action, as the queued job would hold them (an http action shows whether it
// is signed, never the secret). Simulate calls nothing outside: the changed
// files of a pull request come from files, and nil files leave them unknown,
// so paths: does not match; each rule that fails only for that is reported
// to notes (when not nil), one line a rule. The error is NewEvent's, a write
// error, or the errors Evaluate reports beside its jobs (after the jobs are
// written).
func Simulate(ctx context.Context, e *Engine, event, delivery string, payload []byte, files []string, w, notes io.Writer) error {
	return SimulateExplain(ctx, e, event, delivery, payload, files, w, notes, nil)
}

// SimulateExplain is Simulate that first writes to explain (when not nil)
// why each rule listening to the event did or did not match, as
// WriteExplanations does: the explanation the processor records for a
// delivery.
func SimulateExplain(ctx context.Context, e *Engine, event, delivery string, payload []byte, files []string, w, notes, explain io.Writer) error {
	ev, err := NewEvent(event, delivery, payload)
	if err != nil {
		return err
	}
	var lister FileLister
	if files != nil {
		lister = staticFiles(files)
	}
	var (
		unknown []string
		ex      *[]Explanation
	)
	if explain != nil {
		ex = new([]Explanation)
	}
	jobs, evalErr := e.evaluate(ctx, ev, lister, func(rule string) { unknown = append(unknown, rule) }, ex)
	if explain != nil {
		if err := WriteExplanations(explain, *ex); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		line, err := simulationLine(j)
		if err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if notes != nil {
		for _, rule := range unknown {
			if _, err := fmt.Fprintf(notes, "%s\n", UnknownPathsNote(rule)); err != nil {
				return err
			}
		}
	}
	return evalErr
}

// UnknownPathsNote is what Simulate reports of a rule whose paths: could
// not be checked.
func UnknownPathsNote(rule string) string {
	return fmt.Sprintf("rule %q: paths unknown (the pull request's changed files were not given; pass --files a,b,c): does not match", rule)
}

// simulationLine is {"rule":..., "action":..., <fields of the kind>}\n.
func simulationLine(j actions.Job) ([]byte, error) {
	fields, err := j.Fields()
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	inner, err := marshal(fields)
	if err != nil {
		return nil, err
	}
	head, err := marshal(struct {
		Rule   string `json:"rule"`
		Action string `json:"action"`
	}{j.Rule, j.Kind})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1]) // without the closing }
	if len(inner) > 2 {         // not {}
		b.WriteByte(',')
		b.Write(inner[1:])
	} else {
		b.WriteByte('}')
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so output reads as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// staticFiles is a FileLister that answers with a fixed list.
type staticFiles []string

func (f staticFiles) PullRequestFiles(context.Context, int64, string, string, int) ([]string, bool, error) {
	return f, true, nil
}
