package rules

import (
	"errors"
	"strings"
	"text/template"
	"text/template/parse"
)

// escapeMode says how interpolated values are escaped when a template is
// rendered. Literal text in the template is the rule author's and is never
// escaped; values come from events, which anyone on GitHub can shape.
type escapeMode int

const (
	escapeNone      escapeMode = iota
	escapeSlack                // Slack message text: slackescape
	escapeSlackJSON            // Slack blocks: slackescape, then jsonstring
	escapeJSON                 // a JSON http body: jsonstring
)

// tmpl is one templated config value, parsed once.
type tmpl struct {
	literal string
	t       *template.Template // nil when the value has no actions
}

// compileTemplate parses text with missingkey=error and the package's
// functions, rewrites every output action to escape its value for mode, and
// checks that every field it names exists in the event view.
func compileTemplate(text string, mode escapeMode) (*tmpl, error) {
	if !strings.Contains(text, "{{") {
		return &tmpl{literal: text}, nil
	}
	t, err := template.New("switchboard").Option("missingkey=error").Funcs(Funcs()).Parse(text)
	if err != nil {
		return nil, errors.New(cleanTemplateError(err.Error()))
	}
	if err := checkFields(t); err != nil {
		return nil, err
	}
	if mode != escapeNone {
		for _, sub := range t.Templates() {
			if sub.Tree != nil {
				escapeNode(sub.Tree.Root, mode)
			}
		}
	}
	return &tmpl{t: t}, nil
}

// render executes the template with ev as dot.
func (t *tmpl) render(ev *Event) (string, error) {
	if t == nil {
		return "", nil
	}
	if t.t == nil {
		return t.literal, nil
	}
	var b strings.Builder
	if err := t.t.Execute(&b, ev); err != nil {
		return "", errors.New(cleanTemplateError(err.Error()))
	}
	return b.String(), nil
}

// escapeNode appends the escaping functions of mode to every action that
// prints, the way html/template adds its escapers. Actions that only declare
// or assign variables print nothing and are left alone, so a variable is
// escaped once, where it is printed.
func escapeNode(n parse.Node, mode escapeMode) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			escapeNode(c, mode)
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) == 0 {
			escapePipe(n.Pipe, mode)
		}
	case *parse.IfNode:
		escapeNode(n.List, mode)
		escapeNode(n.ElseList, mode)
	case *parse.RangeNode:
		escapeNode(n.List, mode)
		escapeNode(n.ElseList, mode)
	case *parse.WithNode:
		escapeNode(n.List, mode)
		escapeNode(n.ElseList, mode)
	}
}

func escapePipe(p *parse.PipeNode, mode escapeMode) {
	last := ""
	if len(p.Cmds) > 0 {
		cmd := p.Cmds[len(p.Cmds)-1]
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
			last = id.Ident
		}
	}
	var add []string
	switch mode {
	case escapeSlack:
		if last != "slackescape" {
			add = []string{"slackescape"}
		}
	case escapeSlackJSON:
		switch last {
		case "json", "jsonstring":
			// Already JSON; entities for & < > keep it valid JSON.
			add = []string{"slackescape"}
		case "slackescape":
			add = []string{"jsonstring"}
		default:
			add = []string{"slackescape", "jsonstring"}
		}
	case escapeJSON:
		if last != "json" && last != "jsonstring" {
			add = []string{"jsonstring"}
		}
	}
	for _, name := range add {
		p.Cmds = append(p.Cmds, &parse.CommandNode{
			NodeType: parse.NodeCommand,
			Pos:      p.Pos,
			Args:     []parse.Node{parse.NewIdentifier(name).SetPos(p.Pos)},
		})
	}
}

// cleanTemplateError turns text/template's
//
//	template: t:1:15: executing "t" at <.PullRequest.Title>: nil pointer evaluating ...
//
// into "1:15: .PullRequest.Title: nil pointer evaluating ...", and a parse
// error's "template: t:1: function "x" not defined" into
// "1: function "x" not defined".
func cleanTemplateError(msg string) string {
	msg = strings.TrimPrefix(msg, "template: ")
	if i := strings.Index(msg, ":"); i >= 0 {
		msg = msg[i+1:] // the template name
	}
	if i := strings.Index(msg, ": executing \""); i >= 0 {
		where := msg[:i]
		rest := msg[i+len(": executing \""):]
		if j := strings.Index(rest, "\" at <"); j >= 0 {
			rest = rest[j+len("\" at <"):]
			if k := strings.Index(rest, ">: "); k >= 0 {
				return where + ": " + rest[:k] + ": " + rest[k+len(">: "):]
			}
		}
		return where + ": " + rest
	}
	return msg
}
