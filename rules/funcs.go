package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"unicode/utf8"
)

// Funcs returns the functions templates may call, besides text/template's
// own (and, or, not, len, index, slice, print, printf, println, eq, ne, lt,
// le, gt, ge, urlquery). The piped value is always the last argument, so
// both `trunc 50 .PullRequest.Title` and `.PullRequest.Title | trunc 50` work.
// Functions that take text accept any value and print it as templates do.
//
//	function            result                                      example
//	lower S             S in lower case                             {{ lower .Sender }}
//	upper S             S in upper case                             {{ upper .Tag }}
//	trim S              S without leading and trailing white space  {{ trim .Comment.Body }}
//	trunc N S           the first N characters (runes) of S         {{ .PullRequest.Title | trunc 50 }}
//	default D V         V, or D when V is empty (nil, "", 0, false, {{ default "none" .Tag }}
//	                    an empty list or map)
//	join SEP LIST       LIST's items joined by SEP                  {{ join ", " .PullRequest.Labels }}
//	json V              V as JSON (no HTML escaping)                {{ json .Commits }}
//	jsonstring S        S escaped for use inside a JSON string,     "{{ jsonstring .PullRequest.Title }}"
//	                    without the quotes
//	quote S             S as a double-quoted, escaped string        {{ quote .Comment.Body }}
//	replace OLD NEW S   S with every OLD replaced by NEW            {{ replace "/" "-" .Branch }}
//	contains SUB S      whether S contains SUB                      {{ if contains "[skip]" .Comment.Body }}
//	hasPrefix P S       whether S starts with P                     {{ if hasPrefix "release/" .Branch }}
//	hasSuffix P S       whether S ends with P                       {{ if hasSuffix ".md" .Comment.Body }}
//	slackescape S       S with & < > written &amp; &lt; &gt;        {{ slackescape .Comment.Body }}
//	pathescape S        S escaped as one URL path segment           https://h/b/{{ pathescape .Branch }}
//	                    (url.PathEscape: a / becomes %2F)
//	queryescape S       S escaped for a URL query (url.QueryEscape) https://h/?q={{ queryescape .Tag }}
//
// Slack text and blocks apply slackescape to every interpolated value by
// themselves (see Compile); calling it there too does not escape twice. An
// http action's url applies pathescape to every value in its path and
// queryescape to every value in its query and fragment, the same way.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"lower":       func(v any) string { return strings.ToLower(toString(v)) },
		"upper":       func(v any) string { return strings.ToUpper(toString(v)) },
		"trim":        func(v any) string { return strings.TrimSpace(toString(v)) },
		"trunc":       trunc,
		"default":     defaultValue,
		"join":        join,
		"json":        toJSON,
		"jsonstring":  func(v any) string { return jsonString(toString(v)) },
		"quote":       func(v any) string { return strconv.Quote(toString(v)) },
		"replace":     func(old, new string, v any) string { return strings.ReplaceAll(toString(v), old, new) },
		"contains":    func(sub string, v any) bool { return strings.Contains(toString(v), sub) },
		"hasPrefix":   func(p string, v any) bool { return strings.HasPrefix(toString(v), p) },
		"hasSuffix":   func(p string, v any) bool { return strings.HasSuffix(toString(v), p) },
		"slackescape": func(v any) string { return SlackEscape(toString(v)) },
		"pathescape":  func(v any) string { return url.PathEscape(toString(v)) },
		"queryescape": func(v any) string { return url.QueryEscape(toString(v)) },
	}
}

// SlackEscape writes &, < and > as &amp;, &lt; and &gt;, as Slack requires of
// message text: otherwise a pull request titled <!channel> pings a channel.
func SlackEscape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// toString prints v the way a template action would.
func toString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []byte:
		return string(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case fmt.Stringer:
		return t.String()
	}
	return fmt.Sprint(v)
}

func trunc(n int, v any) string {
	s := toString(v)
	if n < 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

func defaultValue(def, v any) any {
	if isEmpty(v) {
		return def
	}
	return v
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	case reflect.Bool:
		return !rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() == 0
	}
	return false
}

func join(sep string, list any) string {
	switch t := list.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(t, sep)
	}
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return toString(list)
	}
	parts := make([]string, rv.Len())
	for i := range parts {
		parts[i] = toString(rv.Index(i).Interface())
	}
	return strings.Join(parts, sep)
}

func toJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// jsonString escapes s for the inside of a JSON string literal.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := buf.Bytes()
	return string(out[1 : len(out)-2]) // drop the quotes and the newline
}
