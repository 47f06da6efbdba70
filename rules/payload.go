package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// jsonOptions are encoding/json's (v1) rules, kept for what webhooks send:
// invalid UTF-8 is replaced rather than refused, and a repeated key keeps
// its last value. Decoding goes through go-json-experiment/json (the
// encoding/json/v2 to be) because it does the same work in about half the
// time and a third of the garbage (docs/BENCHMARKS.md, "The engine after
// the redesign", micro-benchmarks), and every delivery is parsed on the
// request path.
var jsonOptions = jsonv1.DefaultOptionsV1()

// rawPayload is an event's payload as maps, decoded on first use. Most
// deliveries are matched on the view's fields alone, and building the maps
// costs as much as the typed parse (docs/BENCHMARKS.md, "The engine after
// the redesign"); only expressions, templates under .Payload and a few
// pipeline checks read them.
type rawPayload struct {
	once sync.Once
	data []byte // the JSON, until decoded
	m    map[string]any
}

func (r *rawPayload) get() map[string]any {
	r.once.Do(func() {
		if r.m == nil && r.data != nil {
			// NewEvent checked data with the same decoder and options.
			r.m, _ = decodePayload(r.data)
		}
		r.data = nil
	})
	return r.m
}

// Payload is the raw JSON as maps. Whole numbers are int64 (float64 when
// they do not fit or have a fraction), so templates print 191568743 rather
// than 1.91568743e+08 and expressions compare numbers without type fuss.
// It is nil for a view built by hand without one (WithPayload).
func (e *Event) Payload() map[string]any {
	if e.raw == nil {
		return nil
	}
	return e.raw.get()
}

// WithPayload sets the maps Payload returns, for a view built by hand.
func (e *Event) WithPayload(m map[string]any) *Event {
	e.raw = &rawPayload{m: m}
	return e
}

// isObject reports whether data's first value starts as a JSON object.
func isObject(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// decodePayload decodes a JSON object into maps. Numbers are turned into
// int64 when whole and in range, else float64 (the digits as a string
// when out of float64's range): templates then print IDs as written, and
// expr compares them with int literals without conversions.
func decodePayload(data []byte) (map[string]any, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsonOptions)
	if dec.PeekKind() == 0 {
		if _, err := dec.ReadToken(); errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("empty payload: want a JSON object")
		} else if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
	}
	v, err := decodeValue(dec)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not valid JSON: data after the top-level value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a JSON %s, want an object", jsonKind(v))
	}
	return obj, nil
}

// decodeValue reads the next JSON value of dec as maps, slices, strings,
// bools, nil and numbers (see number).
func decodeValue(dec *jsontext.Decoder) (any, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		m := map[string]any{}
		for dec.PeekKind() != '}' {
			k, err := dec.ReadToken()
			if err != nil {
				return nil, err
			}
			name := k.String()
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			m[name] = v
		}
		_, err := dec.ReadToken()
		return m, err
	case '[':
		a := []any{}
		for dec.PeekKind() != ']' {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.ReadToken()
		return a, err
	case '"':
		return tok.String(), nil
	case '0':
		return number(tok.String()), nil
	case 't', 'f':
		return tok.Bool(), nil
	}
	return nil, nil // null
}

// number is a JSON number as int64 when whole and in range, else float64;
// the digits themselves when out of float64's range.
func number(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of float64 range: keep the digits rather than lose them.
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return int64(f)
	}
	return f
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}
