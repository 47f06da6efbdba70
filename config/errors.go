package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a configuration file, placed at the value it is
// about. Key is the YAML path, such as rules[0].do[1].jenkins.server.
type Error struct {
	Pos Position
	Key string
	Msg string
}

// Error formats e as "file:line:col: key: message".
func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Key, e.Msg)
}

// Errors is every problem found in one pass, in file order.
type Errors []*Error

// Error joins the problems, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the problems by position.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Err returns es as an error, or nil when there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	es.Sort()
	return es
}

// Pos returns where key stands in the file. A key that was not written (a
// default) is placed at its nearest written parent, and at 1:1 failing that.
func (c *Config) Pos(key string) Position {
	for k := key; ; {
		if p, ok := c.positions[k]; ok {
			return p
		}
		i := strings.LastIndexAny(k, ".[")
		if i <= 0 {
			break
		}
		k = k[:i]
	}
	return Position{File: c.File, Line: 1, Column: 1}
}

// Errorf returns an Error placed at key. Any secret of the configuration,
// and any value read from the environment, that the message would show is
// replaced by <secret> or by its ${VAR} reference.
func (c *Config) Errorf(key, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if c.scrub != nil {
		msg = c.scrub(msg)
	}
	return &Error{Pos: c.Pos(key), Key: key, Msg: msg}
}
