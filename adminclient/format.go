package adminclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// FormatJSON re-writes JSON for people: indented by indent ("" for one
// line), with <, > and & as themselves rather than the \u003c escapes the
// server writes. Invalid JSON comes back as it was.
func FormatJSON(raw json.RawMessage, indent string) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return string(raw)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Duration shows an attempt's duration_ms: "84ms", "1.2s", "<1ms".
func Duration(ms int64) string {
	if ms <= 0 {
		return "<1ms"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}

// String sums up a delivery's actions for people, the ones that need a look
// first: "1 failed, 2 succeeded", or "none".
func (c ActionCounts) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{c.Failed, "failed"}, {c.Cancelled, "cancelled"}, {c.Retrying, "retrying"}, {c.Running, "running"}, {c.Queued, "queued"}, {c.Succeeded, "succeeded"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
