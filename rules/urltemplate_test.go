package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
)

// TestGoldenHTTPURL renders testdata/config/http_url.yml over the example
// push with hostile branch names and compares the simulate output (one
// {"error": ...} line per render error) with testdata/golden/http-url.*.jsonl:
// values in the path are escaped per segment (a / in a branch is %2F), those
// in the query and fragment query-escaped; a branch that would make a ".."
// segment is refused at render time, so nothing is sent.
// Refresh with: go test ./rules -run GoldenHTTPURL -update
func TestGoldenHTTPURL(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "testdata", "config", "http_url.yml"), nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := Validate(cfg)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for golden, branch := range map[string]string{
		"http-url.push":              "main",
		"http-url.push-hostile":      `feature/ünï code&x=1 y?z=#frag%41`,
		"http-url.push-dotdot":       "../../admin?delete=1#",
		"http-url.push-dot":          "..",
		"http-url.push-inner-dotdot": "x/../y",
	} {
		t.Run(golden, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(readPayload(t, "push.branch.json"), &m); err != nil {
				t.Fatal(err)
			}
			m["ref"] = "refs/heads/" + branch
			payload, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var out, notes bytes.Buffer
			if simErr := Simulate(context.Background(), e, "push", "golden-"+golden, payload, nil, &out, &notes); simErr != nil {
				for _, line := range strings.Split(simErr.Error(), "\n") {
					b, _ := json.Marshal(map[string]string{"error": line})
					out.Write(append(b, '\n'))
				}
			}
			path := filepath.Join("..", "testdata", "golden", golden+".jsonl")
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./rules -run GoldenHTTPURL -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("simulate output differs from %s\n--- got\n%s--- want\n%s", path, out.Bytes(), want)
			}
		})
	}
}

// compileURL refuses what would let the data choose where a request goes:
// a templated origin, a ? or # whose place depends on the data, and
// templates defined or called (their values would not be escaped).
func TestCompileURLRefuses(t *testing.T) {
	tests := map[string]struct {
		url  string
		want string
	}{
		"templated host":             {"http://{{ .Branch }}/x", "the host cannot come from a template"},
		"host completed by a value":  {"https://hooks.example.com{{ .Branch }}", "the host cannot come from a template"},
		"templated subdomain":        {"https://{{ .Sender }}.hooks.example.com/x", "the host cannot come from a template"},
		"templated port":             {"https://hooks.example.com:{{ .Payload.port }}/x", "the host cannot come from a template"},
		"whole url from the payload": {"{{ .Payload.url }}", "the host cannot come from a template"},
		"query start inside an if": {"https://h.example.com/a{{ if .Tag }}?t={{ .Tag }}{{ end }}",
			`write "?" outside {{ if }}, {{ range }} and {{ with }}: where the query or fragment starts must not depend on the data`},
		"fragment inside a range": {"https://h.example.com/a/{{ range .Commits }}#{{ .ID }}{{ end }}",
			`write "#" outside {{ if }}, {{ range }} and {{ with }}: where the query or fragment starts must not depend on the data`},
		"define":   {`https://h.example.com/{{ define "x" }}{{ .Branch }}{{ end }}`, "{{ define }} and {{ block }} are not allowed in a url"},
		"template": {`https://h.example.com/{{ template "x" . }}`, "{{ template }} is not allowed in a url"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileURL(tc.url)
			if err == nil || err.Error() != tc.want {
				t.Errorf("compileURL(%q) = %v, want %q", tc.url, err, tc.want)
			}
		})
	}
}

// Each value is escaped for the part it stands in, also inside if, range
// and with, and an escaper the author wrote is not applied twice.
func TestURLValuesEscapedWhereTheyStand(t *testing.T) {
	ev := &Event{Event: "push", Branch: "a/b c?d#e&f=g", Tag: "v1 &x", Commits: []Commit{{ID: "1/2"}, {ID: "3"}}}
	tests := map[string]struct{ url, want string }{
		"path":                  {"https://h.example.com/{{ .Branch }}", "https://h.example.com/a%2Fb%20c%3Fd%23e&f=g"},
		"query":                 {"https://h.example.com/x?b={{ .Branch }}", "https://h.example.com/x?b=a%2Fb+c%3Fd%23e%26f%3Dg"},
		"fragment":              {"https://h.example.com/x#{{ .Branch }}", "https://h.example.com/x#a%2Fb+c%3Fd%23e%26f%3Dg"},
		"inside if":             {"https://h.example.com/{{ if .Tag }}{{ .Tag }}{{ end }}?t={{ with .Tag }}{{ . }}{{ end }}", "https://h.example.com/v1%20&x?t=v1+%26x"},
		"inside range":          {"https://h.example.com/{{ range .Commits }}{{ .ID }}-{{ end }}", "https://h.example.com/1%2F2-3-"},
		"escaper written":       {"https://h.example.com/{{ pathescape .Branch }}?q={{ queryescape .Tag }}", "https://h.example.com/a%2Fb%20c%3Fd%23e&f=g?q=v1+%26x"},
		"variable printed once": {"https://h.example.com/{{ $b := .Branch }}{{ $b }}", "https://h.example.com/a%2Fb%20c%3Fd%23e&f=g"},
		"no template":           {"https://h.example.com/a/b?c=d", "https://h.example.com/a/b?c=d"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := compileURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got, err := u.render(ev)
			if err != nil || got != tc.want {
				t.Errorf("render = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// A ".." or "." segment is refused at render time however it is written:
// from a value, from escapes, from the author's own text.
func TestURLDotSegmentsRefused(t *testing.T) {
	tests := map[string]struct {
		url, branch string
	}{
		"value is ..":               {"https://h.example.com/b/{{ .Branch }}/x", ".."},
		"value is .":                {"https://h.example.com/b/{{ .Branch }}", "."},
		"value with slashes":        {"https://h.example.com/b/{{ .Branch }}", "../../admin"},
		"escaped dots in the value": {"https://h.example.com/b/{{ .Branch }}", "%2e%2e"},
		"written by the author":     {"https://h.example.com/b/../{{ .Branch }}", "main"},
		"escaped by the author":     {"https://h.example.com/b/%2E%2E/{{ .Branch }}", "main"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := compileURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got, err := u.render(&Event{Branch: tc.branch})
			if name == "escaped dots in the value" {
				// %2e%2e is escaped to %252e%252e: a segment that decodes to
				// the text %2e%2e, not to "..": allowed.
				if err != nil || got != "https://h.example.com/b/%252e%252e" {
					t.Errorf("render = %q, %v; want the escaped text", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "segment: refused, never sent") {
				t.Errorf("render = %q, %v; want a refused segment", got, err)
			}
		})
	}
}
