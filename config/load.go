package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the configuration file at path and parses it with Parse. A file
// that cannot be read is reported as the os error; every problem in its
// content comes back as Errors.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, lookupEnv)
}

// Parse reads one configuration from data, naming file in positions and
// errors. It expands ${VAR} and ${VAR:-default} in every value (not in keys)
// with lookupEnv (nil means an empty environment), decodes strictly (unknown and
// duplicate keys are errors), applies defaults and validates. On any problem
// it returns a nil Config and Errors holding all of them, sorted by position.
//
// The steps follow prometheus/alertmanager's loader: plain structs are decoded
// first, then one separate pass defaults and validates, because a
// struct-level UnmarshalYAML would silently drop yaml.v3's strictness.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	p := newParser(file, lookupEnv)
	root, err := p.parseYAML(data)
	if err != nil {
		return nil, Errors{err}
	}
	cfg := &Config{File: file, positions: p.positions}
	if root != nil {
		p.maxSteps = 50*countNodes(root, map[*yaml.Node]bool{}) + 100_000
		p.walk(root, reflect.TypeFor[Config](), "")
		if !p.aborted {
			p.decode(root, cfg)
		}
	}
	if p.aborted {
		return nil, p.scrubbed(p.errs).Err()
	}
	v := &checker{cfg: cfg, written: p.written, earlier: p.errKeys}
	v.applyDefaults()
	v.validate()
	all := p.scrubbed(append(p.errs, v.errs...))
	if len(all) > 0 {
		return nil, all.Err()
	}
	cfg.scrub = p.scrubber()
	return cfg, nil
}

// parser holds the state of one Parse up to decoding.
type parser struct {
	file   string
	lookup func(string) (string, bool)

	errs    Errors
	errKeys map[string]bool // keys that already have a problem

	positions map[string]Position
	written   map[string]bool // keys given a non-null value

	expanded map[*yaml.Node]bool   // scalars already expanded (aliases share nodes)
	raw      map[*yaml.Node]string // text as written, for scalars that held ${...}
	scrubs   []scrubPair

	steps, maxSteps int
	aborted         bool
	// literal leaves ${VAR} unexpanded and reports it (ParseRepo).
	literal bool
}

// newParser starts the parse of one file.
func newParser(file string, lookupEnv func(string) (string, bool)) *parser {
	return &parser{
		file:      file,
		lookup:    lookupEnv,
		errKeys:   map[string]bool{},
		positions: map[string]Position{},
		written:   map[string]bool{},
		expanded:  map[*yaml.Node]bool{},
		raw:       map[*yaml.Node]string{},
	}
}

// parseYAML reads the single document in data and returns its top node, or
// nil for an empty document.
func (p *parser) parseYAML(data []byte) (*yaml.Node, *Error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, p.syntaxError(err, data)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, p.syntaxError(err, data)
	default:
		return nil, &Error{Pos: p.pos(&next), Msg: "a second YAML document; the file must hold exactly one"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlLine finds "line N: " in yaml.v3's messages.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// syntaxError places a yaml.v3 parse error. yaml.v3 gives only a line, so
// the column is 1.
func (p *parser) syntaxError(err error, data []byte) *Error {
	msg := err.Error()
	line, numbered := 1, false
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg, numbered = msg[len(m[0]):], true
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	// yaml.v3's parser (not its scanner) reports the 0-based line of its
	// context (decode.go, parser.fail), and no line at all for line 0.
	if numbered && zeroBasedLine(msg) {
		line++
	}
	// At the end of the stream yaml.v3 counts one line more than there is.
	line = min(line, max(1, len(splitLines(data))))
	if strings.Contains(msg, "did not find expected ',' or") && flowVarOnLine(data, line) {
		msg += `; inside [...] or {...}, quote a ${VAR} reference: "${VAR}"`
	}
	return &Error{Pos: Position{File: p.file, Line: line, Column: 1}, Msg: "invalid YAML: " + msg}
}

// zeroBasedLine reports whether a "did not find expected ..." message comes
// from yaml.v3's parser, whose line numbers start at 0.
func zeroBasedLine(msg string) bool {
	for _, m := range []string{"key", "node content", "'-' indicator", "',' or ']'", "',' or '}'", "<document start>"} {
		if msg == "did not find expected "+m {
			return true
		}
	}
	return false
}

// flowVarOnLine reports whether line (1-based) of data holds an unquoted
// ${...} in flow style, which YAML reads as the start of a flow mapping.
func flowVarOnLine(data []byte, line int) bool {
	lines := splitLines(data)
	lo, hi := min(max(0, line-1), len(lines)), min(len(lines), line+1)
	for _, l := range lines[lo:hi] {
		if bytes.ContainsAny(l, "{[") && bytes.Contains(l, []byte(" ${")) {
			return true
		}
	}
	return false
}

// decode fills cfg from the walked tree. The walker has already reported
// every problem it could place, so yaml.v3's own errors are reported only
// when it found none (they would repeat the same problems, less clearly).
func (p *parser) decode(root *yaml.Node, cfg any) {
	err := root.Decode(cfg)
	if err == nil || len(p.errs) > 0 {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		p.errs = append(p.errs, &Error{Pos: Position{File: p.file, Line: 1, Column: 1}, Msg: backticked.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "value")})
		return
	}
	for _, m := range te.Errors {
		e := &Error{Pos: Position{File: p.file, Line: 1, Column: 1}, Msg: m}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			e.Msg = m[len(sm[0]):]
			e.Key, e.Pos = p.keyOnLine(line)
		}
		// yaml.v3 quotes (a prefix of) the value in backticks: that prefix
		// may be a secret, which scrubbing cannot recognise.
		e.Msg = backticked.ReplaceAllString(e.Msg, "value")
		p.errs = append(p.errs, e)
		p.errKeys[e.Key] = true
	}
}

// backticked matches the values yaml.v3 quotes in its type errors.
var backticked = regexp.MustCompile("`[^`]*`")

// keyOnLine returns the first key recorded on line, for yaml.v3 errors that
// give only a line.
func (p *parser) keyOnLine(line int) (string, Position) {
	var keys []string
	for k, pos := range p.positions {
		if pos.Line == line {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", Position{File: p.file, Line: line, Column: 1}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := p.positions[keys[i]], p.positions[keys[j]]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return keys[i] < keys[j]
	})
	return keys[0], p.positions[keys[0]]
}

// errorAt records a problem found while walking. The first problem at a key
// wins: a second one there (a type error after a missing variable) says the
// same thing again.
func (p *parser) errorAt(pos Position, key, format string, args ...any) {
	if key != "" && p.errKeys[key] {
		return
	}
	p.errKeys[key] = true
	p.errs = append(p.errs, &Error{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// pos is where n stands in the file.
func (p *parser) pos(n *yaml.Node) Position {
	return Position{File: p.file, Line: n.Line, Column: n.Column}
}

// countNodes counts the distinct nodes under n, to bound how far aliases may
// multiply the walk (a "billion laughs" document).
func countNodes(n *yaml.Node, seen map[*yaml.Node]bool) int {
	if n == nil || seen[n] {
		return 0
	}
	seen[n] = true
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch, seen)
	}
	return c + countNodes(n.Alias, seen)
}

// splitLines splits data into lines the way YAML counts them: at \r\n, \r
// and \n alike. A final line break does not start another line.
func splitLines(data []byte) [][]byte {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}
