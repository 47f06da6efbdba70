package fakegithub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// prop is one documented field of a request body.
type prop struct {
	typ      string   // string, integer, boolean, object, array
	required bool     // the docs mark it required
	enum     []string // allowed values of a string
	maxLen   int      // longest string, in characters; 0 = unbounded
	props    schema   // fields of an object; nil = any
}

// schema lists the fields GitHub's REST docs give a request body; a field
// not listed is refused, as GitHub's JSON schema validation refuses it.
type schema map[string]prop

// SchemaViolation is one request body the fake refused for not matching
// the fields GitHub's docs list for the call.
type SchemaViolation struct {
	Method, Path string
	Problem      string
}

// SchemaViolations returns every request refused by a schema check.
func (s *Server) SchemaViolations() []SchemaViolation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SchemaViolation(nil), s.violations...)
}

// checked wraps h with a check of the request body against sc. GitHub
// answers a body that does not parse 400 "Problems parsing JSON", and one
// that breaks the schema 422 "Invalid request." with the first problem:
// "\"x\" is not a permitted key.", "\"x\" wasn't supplied.", "For
// 'properties/x', ... is not one of [...]", "... is not a string.".
// https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
func (s *Server) checked(sc schema, doc string, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON", doc)
			return
		}
		var body map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON", doc)
			return
		}
		if problem := sc.check(body, ""); problem != "" {
			s.mu.Lock()
			s.violations = append(s.violations, SchemaViolation{Method: r.Method, Path: exchangeOf(r).apiPath, Problem: problem})
			s.mu.Unlock()
			writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n"+problem, doc)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		h(w, r, c)
	}
}

// check returns the first problem of body against sc, or "".
func (sc schema) check(body map[string]any, at string) string {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := sc[k]; !ok {
			return fmt.Sprintf("%q is not a permitted key.", k)
		}
	}
	names := make([]string, 0, len(sc))
	for k := range sc {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := sc[k]
		v, ok := body[k]
		if !ok {
			if p.required {
				return fmt.Sprintf("%q wasn't supplied.", k)
			}
			continue
		}
		where := "properties/" + at + k
		if v == nil {
			continue // GitHub takes null for an optional field
		}
		switch p.typ {
		case "string":
			str, ok := v.(string)
			if !ok {
				return fmt.Sprintf("For '%s', %s is not a string.", where, show(v))
			}
			if len(p.enum) > 0 && !slices.Contains(p.enum, str) {
				return fmt.Sprintf("For '%s', %q is not one of [%s].", where, str, quoteAll(p.enum))
			}
			if p.maxLen > 0 && len([]rune(str)) > p.maxLen {
				return fmt.Sprintf("For '%s', is too long (maximum is %d characters).", where, p.maxLen)
			}
		case "integer":
			n, ok := v.(json.Number)
			if _, err := n.Int64(); !ok || err != nil {
				return fmt.Sprintf("For '%s', %s is not an integer.", where, show(v))
			}
		case "boolean":
			if _, ok := v.(bool); !ok {
				return fmt.Sprintf("For '%s', %s is not a boolean.", where, show(v))
			}
		case "array":
			if _, ok := v.([]any); !ok {
				return fmt.Sprintf("For '%s', %s is not an array.", where, show(v))
			}
		case "object":
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Sprintf("For '%s', %s is not an object.", where, show(v))
			}
			if p.props != nil {
				if pr := p.props.check(m, at+k+"/"); pr != "" {
					return pr
				}
			}
		}
	}
	return ""
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// The request bodies of the calls Switchboard makes, as GitHub's REST docs
// list their fields.
var (
	// https://docs.github.com/rest/commits/statuses#create-a-commit-status
	schemaCreateStatus = schema{
		"state":       {typ: "string", required: true},
		"target_url":  {typ: "string"},
		"description": {typ: "string"},
		"context":     {typ: "string"},
	}
	// https://docs.github.com/rest/issues/comments#create-an-issue-comment
	schemaCreateComment = schema{"body": {typ: "string", required: true}}
	// https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment
	schemaCreateReaction = schema{"content": {typ: "string", required: true,
		enum: []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}}}
	checkOutput = schema{
		"title":       {typ: "string", required: true},
		"summary":     {typ: "string", required: true, maxLen: 65535},
		"text":        {typ: "string", maxLen: 65535},
		"annotations": {typ: "array"},
		"images":      {typ: "array"},
	}
	checkStatuses    = []string{"queued", "in_progress", "completed", "waiting", "requested", "pending"}
	checkConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
	// https://docs.github.com/rest/checks/runs#create-a-check-run
	schemaCreateCheckRun = schema{
		"name":         {typ: "string", required: true},
		"head_sha":     {typ: "string", required: true},
		"details_url":  {typ: "string"},
		"external_id":  {typ: "string"},
		"status":       {typ: "string", enum: checkStatuses},
		"started_at":   {typ: "string"},
		"conclusion":   {typ: "string", enum: checkConclusions},
		"completed_at": {typ: "string"},
		"output":       {typ: "object", props: checkOutput},
		"actions":      {typ: "array"},
	}
	// https://docs.github.com/rest/checks/runs#update-a-check-run
	schemaUpdateCheckRun = schema{
		"name":         {typ: "string"},
		"details_url":  {typ: "string"},
		"external_id":  {typ: "string"},
		"started_at":   {typ: "string"},
		"status":       {typ: "string", enum: checkStatuses},
		"conclusion":   {typ: "string", enum: checkConclusions},
		"completed_at": {typ: "string"},
		"output":       {typ: "object", props: checkOutput},
		"actions":      {typ: "array"},
	}
)
