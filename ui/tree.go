package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// maxNodes bounds the payload tree drawn on a page: a 25 MiB payload would
// make a page no browser wants; past it the page says so.
const maxNodes = 5000

// node is one value of the payload, keys in the order GitHub sent them.
type node struct {
	Key      string // the member name or [index]; "" at the root
	Kind     string // object, array, string, number, bool, null
	Value    string // scalars: the value as JSON shows it
	Children []*node
	Open     bool // drawn expanded
}

// Summary says what a collapsed object or array holds.
func (n *node) Summary() string {
	switch n.Kind {
	case "object":
		return "{" + count(len(n.Children), "key") + "}"
	case "array":
		return "[" + count(len(n.Children), "item") + "]"
	}
	return ""
}

// count is "1 key", "2 keys", "0 keys".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// tree parses raw into nodes, at most limit of them; truncated says some
// were left out.
func tree(raw json.RawMessage, limit int) (root *node, count int, truncated bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	b := &builder{dec: dec, left: limit}
	root, err := b.value("", 0)
	if err != nil && !errors.Is(err, errFull) {
		return nil, 0, false
	}
	return root, limit - b.left, errors.Is(err, errFull)
}

var errFull = errors.New("node limit reached")

type builder struct {
	dec  *json.Decoder
	left int
}

func (b *builder) value(key string, depth int) (*node, error) {
	if b.left == 0 {
		return nil, errFull
	}
	b.left--
	tok, err := b.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := &node{Key: key}
	switch t := tok.(type) {
	case json.Delim:
		n.Kind, n.Open = "object", depth < 1
		if t == '[' {
			n.Kind = "array"
		}
		for i := 0; b.dec.More(); i++ {
			childKey := "[" + strconv.Itoa(i) + "]"
			if n.Kind == "object" {
				k, err := b.dec.Token()
				if err != nil {
					return n, err
				}
				childKey, _ = k.(string)
			}
			c, err := b.value(childKey, depth+1)
			if c != nil {
				n.Children = append(n.Children, c)
			}
			if err != nil {
				return n, err
			}
		}
		if _, err := b.dec.Token(); err != nil { // the closing delimiter
			return n, err
		}
	case string:
		n.Kind, n.Value = "string", strconv.Quote(t)
	case json.Number:
		n.Kind, n.Value = "number", t.String()
	case bool:
		n.Kind, n.Value = "bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Value = "null", "null"
	}
	return n, nil
}
