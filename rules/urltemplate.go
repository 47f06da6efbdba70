package rules

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/switchboard-dev/switchboard/config"
)

// urlTmpl is an http action's url, compiled: its origin (scheme, host,
// port) written out, and the rest a template whose every value is escaped
// for where it stands, as the Jenkins job path is: pathescape in the path
// (a value is one segment, its / written %2F), queryescape in the query
// and the fragment.
type urlTmpl struct {
	origin string
	rest   *tmpl
}

// errURLHostTemplated is the compile error of a templated origin; config
// validation reports the same, at the key.
var errURLHostTemplated = errors.New("the host cannot come from a template")

// urlPart is where in a URL a piece of template text stands.
type urlPart int

const (
	inPath urlPart = iota
	inQuery
	inFragment
)

// compileURL parses an http action's url.
func compileURL(text string) (*urlTmpl, error) {
	origin, rest, templated := config.SplitURLTemplate(text)
	if !templated {
		return &urlTmpl{origin: origin, rest: &tmpl{literal: rest}}, nil
	}
	if strings.Contains(origin, "{{") {
		return nil, errURLHostTemplated
	}
	t, err := template.New("switchboard").Option("missingkey=error").Funcs(Funcs()).Parse(rest)
	if err != nil {
		return nil, errors.New(cleanTemplateError(err.Error()))
	}
	if err := checkFields(t); err != nil {
		return nil, err
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("{{ define }} and {{ block }} are not allowed in a url")
	}
	if _, err := escapeURL(t.Tree.Root, inPath, false); err != nil {
		return nil, err
	}
	return &urlTmpl{origin: origin, rest: &tmpl{t: t}}, nil
}

// escapeURL adds to every printing action of list the escaper for the part
// of the URL it stands in, walking the text in order, and returns the part
// after list. A ? or # inside {{ if }}, {{ range }} or {{ with }} (nested)
// would leave the part of what follows to the data, so it is refused.
func escapeURL(list *parse.ListNode, part urlPart, nested bool) (urlPart, error) {
	if list == nil {
		return part, nil
	}
	for _, n := range list.Nodes {
		var err error
		switch n := n.(type) {
		case *parse.TextNode:
			text := string(n.Text)
			if i := strings.IndexAny(text, "?#"); i >= 0 && nested {
				return part, fmt.Errorf("write %q outside {{ if }}, {{ range }} and {{ with }}: where the query or fragment starts must not depend on the data", text[i:i+1])
			}
			for _, c := range text {
				switch {
				case c == '?' && part == inPath:
					part = inQuery
				case c == '#':
					part = inFragment
				}
			}
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 {
				addEscaper(n.Pipe, part)
			}
		case *parse.IfNode:
			err = escapeBranches(&n.BranchNode, part)
		case *parse.RangeNode:
			err = escapeBranches(&n.BranchNode, part)
		case *parse.WithNode:
			err = escapeBranches(&n.BranchNode, part)
		case *parse.TemplateNode:
			err = errors.New("{{ template }} is not allowed in a url")
		}
		if err != nil {
			return part, err
		}
	}
	return part, nil
}

func escapeBranches(b *parse.BranchNode, part urlPart) error {
	if _, err := escapeURL(b.List, part, true); err != nil {
		return err
	}
	_, err := escapeURL(b.ElseList, part, true)
	return err
}

// addEscaper appends the escaper of part to a printing pipeline, unless it
// already ends with it.
func addEscaper(p *parse.PipeNode, part urlPart) {
	name := "pathescape"
	if part != inPath {
		name = "queryescape"
	}
	if len(p.Cmds) > 0 {
		if id, ok := p.Cmds[len(p.Cmds)-1].Args[0].(*parse.IdentifierNode); ok && id.Ident == name {
			return
		}
	}
	p.Cmds = append(p.Cmds, &parse.CommandNode{
		NodeType: parse.NodeCommand,
		Pos:      p.Pos,
		Args:     []parse.Node{parse.NewIdentifier(name).SetPos(p.Pos)},
	})
}

// render renders the url for ev and refuses a path that, once rendered,
// has a "." or ".." segment, also written with escapes (%2e%2e) or made of
// escaped slashes (..%2F..): a server that normalises the path would leave
// the base the rule author wrote.
func (u *urlTmpl) render(ev *Event) (string, error) {
	if u == nil {
		return "", errors.New("the url did not compile")
	}
	rest, err := u.rest.render(ev)
	if err != nil {
		return "", err
	}
	p := rest
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for _, seg := range strings.Split(p, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return "", fmt.Errorf("rendered path segment %q is not valid URL escaping", seg)
		}
		for _, part := range strings.Split(dec, "/") {
			if part == "." || part == ".." {
				return "", fmt.Errorf("rendered path has a %q segment: refused, never sent", part)
			}
		}
	}
	return u.origin + rest, nil
}
