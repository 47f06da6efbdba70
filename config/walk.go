package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The walker checks the YAML tree against Config's types before anything is
// decoded: every key must be a field (or a map entry), every node the kind
// its field needs. It records each key's position, expands ${VAR} in the
// values it meets and tries each scalar against its field's type, so that
// every problem is placed at its own key.

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	secretType      = reflect.TypeFor[Secret]()
	secretListType  = reflect.TypeFor[SecretList]()
	stringListType  = reflect.TypeFor[StringList]()
	durationType    = reflect.TypeFor[Duration]()
)

// field is one YAML key of a struct.
type field struct {
	name string
	typ  reflect.Type
}

// yamlFields lists the keys of struct type t in field order.
func yamlFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name, f.Type})
	}
	return out
}

// entry is one key and its value in a mapping.
type entry struct{ key, val *yaml.Node }

// walk checks n against type t at key path.
func (p *parser) walk(n *yaml.Node, t reflect.Type, path string) {
	if p.aborted {
		return
	}
	p.steps++
	if p.steps > p.maxSteps {
		p.aborted = true
		p.errorAt(p.pos(n), path, "aliases expand the document to more than %d values", p.maxSteps)
		return
	}
	n = deref(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode {
		p.expandScalar(n, path, isSecretType(t))
	}
	if isNull(n) {
		return
	}
	if isLeafType(t) {
		p.leaf(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			p.kindError(n, t, path)
			return
		}
		fields := yamlFields(t)
		for _, e := range p.entries(n, path) {
			f, ok := findField(fields, e.key.Value)
			child := joinKey(path, e.key.Value)
			if !ok {
				p.errorAt(p.pos(e.key), child, "%s", unknownKey(e.key.Value, fields))
				continue
			}
			p.walk(e.val, f.typ, child)
			p.record(child, e.key, e.val)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			p.kindError(n, t, path)
			return
		}
		for _, e := range p.entries(n, path) {
			child := joinKey(path, e.key.Value)
			p.walk(e.val, t.Elem(), child)
			p.record(child, e.key, e.val)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			p.kindError(n, t, path)
			return
		}
		for i, item := range n.Content {
			child := fmt.Sprintf("%s[%d]", path, i)
			p.walk(item, t.Elem(), child)
			p.recordItem(child, item)
		}
	default:
		p.leaf(n, t, path)
	}
}

// leaf checks a value that decodes as a whole: a scalar, or one of the
// package's own yaml.Unmarshaler types.
func (p *parser) leaf(n *yaml.Node, t reflect.Type, path string) {
	secret := isSecretType(t)
	if t == stringListType || t == secretListType {
		switch n.Kind {
		case yaml.ScalarNode:
		case yaml.SequenceNode:
			for i, item := range n.Content {
				child := fmt.Sprintf("%s[%d]", path, i)
				p.recordItem(child, item)
				item = deref(item)
				if item.Kind != yaml.ScalarNode {
					p.errorAt(p.pos(item), child, "expected a string, got a %s", kindName(item.Kind))
					continue
				}
				p.expandScalar(item, child, secret)
			}
		default:
			p.kindError(n, t, path)
		}
		return
	}
	if n.Kind != yaml.ScalarNode {
		p.kindError(n, t, path)
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		p.errorAt(p.pos(n), path, "%s", p.badValue(n, t, secret))
	}
}

// badValue says why scalar n does not decode as t, without showing a secret
// or a value read from the environment.
func (p *parser) badValue(n *yaml.Node, t reflect.Type, secret bool) string {
	what := p.describe(n, secret)
	hint := ""
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		plain := *n
		plain.Style, plain.Tag = 0, ""
		if plain.Decode(reflect.New(t).Interface()) == nil {
			hint = "; write it without quotes"
		}
	}
	switch {
	case t == durationType:
		return what + " is not a duration such as 30s or 10m"
	case isInt(t):
		return what + " is not an integer" + hint
	case t.Kind() == reflect.Bool:
		return what + " is not true or false" + hint
	}
	return fmt.Sprintf("%s is not %s", what, typeWord(t))
}

// describe names scalar n's value for a message: quoted when written in the
// file, by its ${VAR} reference when it came from the environment, and not
// at all for a secret.
func (p *parser) describe(n *yaml.Node, secret bool) string {
	switch raw, ok := p.raw[n]; {
	case secret:
		return "the value"
	case ok:
		return "the value of " + truncate(raw, 60)
	}
	return strconv.Quote(truncate(n.Value, 60))
}

// kindError reports a node of the wrong kind for t.
func (p *parser) kindError(n *yaml.Node, t reflect.Type, path string) {
	p.errorAt(p.pos(n), path, "expected %s, got a %s", typeWord(t), kindName(n.Kind))
}

// expandScalar expands ${VAR} in n once (an alias shares its node with the
// anchor), and notes which values must not appear in messages.
func (p *parser) expandScalar(n *yaml.Node, path string, secret bool) {
	if !p.expanded[n] && p.literal {
		// A repository's file: the server's environment is not for it.
		p.expanded[n] = true
		if strings.Contains(n.Value, "${") {
			p.errorAt(p.pos(n), path, "a repository's file cannot use ${VAR}: the server's environment is not expanded here; name a connection instead")
		}
		return
	}
	if !p.expanded[n] {
		p.expanded[n] = true
		x, err := expand(n.Value, p.lookup)
		if err != nil {
			re, _ := err.(*refError)
			p.errorAt(p.pos(n), path, "%s", re.message(!secret))
			if secret {
				p.addSecret(n.Value)
			}
			return
		}
		for _, u := range x.used {
			p.addExpanded(u.value, "${"+u.name+"}")
		}
		if x.vars {
			p.raw[n] = n.Value
			if !secret {
				p.addExpanded(x.value, truncate(n.Value, 60))
			}
		}
		if x.changed {
			n.Value = x.value
			// A plain scalar's type was resolved from the text as written
			// (${APP_ID} is a string); resolve it again from the value so
			// app_id: ${APP_ID} decodes as an integer.
			if n.Style&^yaml.FlowStyle == 0 {
				n.Tag = ""
			}
		}
		if len(x.missing) > 0 {
			p.errorAt(p.pos(n), path, "%s", missingMessage(x.missing, secret))
		}
	}
	if secret {
		p.addSecret(n.Value)
	}
}

// entries lists a mapping's keys and values, reporting duplicate and
// non-string keys, with the keys of << merges added after the mapping's own
// (which win, as YAML's merge key says).
func (p *parser) entries(n *yaml.Node, path string) []entry {
	var (
		out    []entry
		merges []*yaml.Node
		seen   = map[string]*yaml.Node{}
	)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorAt(p.pos(k), path, "a key must be a string, not a %s", kindName(k.Kind))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorAt(p.pos(k), joinKey(path, k.Value), "duplicate key %q (first at line %d)", truncate(k.Value, 60), first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{k, v})
	}
	for _, m := range merges {
		for _, src := range p.mergeSources(m, path) {
			for _, e := range p.entries(src, path) {
				if _, dup := seen[e.key.Value]; dup {
					continue
				}
				seen[e.key.Value] = e.key
				out = append(out, e)
			}
		}
	}
	return out
}

// mergeSources returns the mappings a << key merges in.
func (p *parser) mergeSources(v *yaml.Node, path string) []*yaml.Node {
	p.steps++
	if p.steps > p.maxSteps {
		return nil
	}
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, item := range v.Content {
			item = deref(item)
			if item.Kind != yaml.MappingNode {
				p.errorAt(p.pos(item), path, "<< merges a mapping or a list of mappings, not a %s", kindName(item.Kind))
				continue
			}
			out = append(out, item)
		}
		return out
	}
	p.errorAt(p.pos(v), path, "<< merges a mapping or a list of mappings, not a %s", kindName(v.Kind))
	return nil
}

// record notes where the value of key stands: at the value for a scalar
// (also one that a variable made empty), at the key for a mapping, a list or
// an empty value, which read better there.
func (p *parser) record(key string, k, v *yaml.Node) {
	d := deref(v)
	if _, ok := p.positions[key]; !ok {
		_, expanded := p.raw[d]
		if d.Kind == yaml.ScalarNode && (!isNull(d) || expanded) {
			p.positions[key] = p.pos(v)
		} else {
			p.positions[key] = p.pos(k)
		}
	}
	p.written[key] = p.written[key] || !isNull(d)
}

// recordItem notes where a list item stands.
func (p *parser) recordItem(key string, item *yaml.Node) {
	if _, ok := p.positions[key]; !ok {
		p.positions[key] = p.pos(item)
	}
	p.written[key] = p.written[key] || !isNull(deref(item))
}
