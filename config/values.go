package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Secret is a string that never prints: fmt, YAML and JSON all show
// "<secret>". Use string(s) only where the value is sent to its service.
type Secret string

const redacted = "<secret>"

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v does not leak either.
func (s Secret) GoString() string { return `"` + redacted + `"` }

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return redacted, nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// SecretList is one secret or a list of them (webhook secrets while rotating).
type SecretList []Secret

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *SecretList) UnmarshalYAML(n *yaml.Node) error {
	var sl StringList
	if err := sl.UnmarshalYAML(n); err != nil {
		return err
	}
	*l = make(SecretList, len(sl))
	for i, s := range sl {
		(*l)[i] = Secret(s)
	}
	return nil
}

// StringList is a string or a list of strings.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*l = nil
			return nil
		}
		*l = StringList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(StringList, 0, len(n.Content))
		for _, c := range n.Content {
			for i := 0; c.Kind == yaml.AliasNode && c.Alias != nil && i < 100; i++ {
				c = c.Alias
			}
			if c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" {
				out = append(out, "")
				continue
			}
			if c.Kind != yaml.ScalarNode {
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a string, got a %s", c.Line, kindName(c.Kind))}}
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a string or a list of strings, got a %s", n.Line, kindName(n.Kind))}}
}

// Duration is a time.Duration written as "10s", "5m", "1h30m" or 0.
type Duration time.Duration

// UnmarshalYAML parses Go duration syntax; a bare 0 means zero.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a duration such as 30s or 10m", n.Line)}}
	}
	if n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		// The value is not quoted: it may have come from the environment.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: not a duration such as 30s or 10m", n.Line)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String returns d as time.Duration writes it: "6h0m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// Position is where a value stands in the configuration file.
type Position struct {
	File   string
	Line   int
	Column int
}

// String formats p as file:line:col.
func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }
