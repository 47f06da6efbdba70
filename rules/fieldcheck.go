package rules

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"
)

// checkFields walks a parsed template and reports the first field it names
// that the event view does not have, such as .PullRequest.Titel. It follows
// dot through with and range, so it checks branches that a sample event
// would never execute. Below .Payload (raw JSON) and where dot cannot be
// known (a variable, a function's result) it checks nothing.
func checkFields(t *template.Template) error {
	root := reflect.TypeOf(&Event{})
	for _, sub := range t.Templates() {
		if sub.Tree == nil {
			continue
		}
		dot := root
		if sub.Name() != t.Name() {
			dot = nil // {{define}}d: called with whatever dot the caller passes
		}
		c := fieldChecker{tree: sub, root: root}
		if err := c.walk(sub.Tree.Root, dot); err != nil {
			return err
		}
	}
	return nil
}

type fieldChecker struct {
	tree *template.Template
	root reflect.Type
}

func (c *fieldChecker) walk(n parse.Node, dot reflect.Type) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, e := range n.Nodes {
			if err := c.walk(e, dot); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		_, err := c.pipe(n.Pipe, dot)
		return err
	case *parse.IfNode:
		if _, err := c.pipe(n.Pipe, dot); err != nil {
			return err
		}
		if err := c.walk(n.List, dot); err != nil {
			return err
		}
		return c.walk(n.ElseList, dot)
	case *parse.WithNode:
		inner, err := c.pipe(n.Pipe, dot)
		if err != nil {
			return err
		}
		if err := c.walk(n.List, inner); err != nil {
			return err
		}
		return c.walk(n.ElseList, dot)
	case *parse.RangeNode:
		over, err := c.pipe(n.Pipe, dot)
		if err != nil {
			return err
		}
		if err := c.walk(n.List, elemType(over)); err != nil {
			return err
		}
		return c.walk(n.ElseList, dot)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			_, err := c.pipe(n.Pipe, dot)
			return err
		}
	}
	return nil
}

// pipe checks a pipeline and returns the type it yields when that is known.
func (c *fieldChecker) pipe(p *parse.PipeNode, dot reflect.Type) (reflect.Type, error) {
	if p == nil {
		return nil, nil
	}
	var result reflect.Type
	for _, cmd := range p.Cmds {
		for _, arg := range cmd.Args {
			t, err := c.arg(arg, dot)
			if err != nil {
				return nil, err
			}
			if len(p.Cmds) == 1 && len(cmd.Args) == 1 {
				result = t
			}
		}
	}
	if len(p.Decl) > 0 {
		return nil, nil
	}
	return result, nil
}

func (c *fieldChecker) arg(n parse.Node, dot reflect.Type) (reflect.Type, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.FieldNode:
		return c.resolve(n, dot, n.Ident, "")
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			return c.resolve(n, c.root, n.Ident[1:], "$")
		}
		return nil, nil // a declared variable: its type is not tracked
	case *parse.ChainNode:
		var base reflect.Type
		if p, ok := n.Node.(*parse.PipeNode); ok {
			t, err := c.pipe(p, dot)
			if err != nil {
				return nil, err
			}
			base = t
		}
		return c.resolve(n, base, n.Field, "(...)")
	case *parse.PipeNode:
		return c.pipe(n, dot)
	}
	return nil, nil
}

// resolve follows a chain of field names from t; nil t means unknown.
func (c *fieldChecker) resolve(n parse.Node, t reflect.Type, idents []string, prefix string) (reflect.Type, error) {
	for i, id := range idents {
		if t == nil {
			return nil, nil
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Map:
			if t.Elem().Kind() == reflect.Interface {
				return nil, nil // raw JSON: any key may be there
			}
			t = t.Elem()
			continue
		case reflect.Interface:
			return nil, nil
		case reflect.Struct:
			if f, ok := t.FieldByName(id); ok && f.IsExported() {
				t = f.Type
				continue
			}
			if m, ok := reflect.PointerTo(t).MethodByName(id); ok && fieldMethod(m) {
				t = m.Type.Out(0)
				continue
			}
		}
		path := prefix + "." + strings.Join(idents[:i+1], ".")
		loc, _ := c.tree.ErrorContext(n)
		if j := strings.Index(loc, ":"); j >= 0 {
			loc = loc[j+1:]
		}
		parent := prefix + "." + strings.Join(idents[:i], ".")
		if i == 0 {
			parent = strings.TrimSuffix(prefix+".", ".")
		}
		return nil, fmt.Errorf("%s: %s: %s", loc, path, noField(t, id, parent))
	}
	return t, nil
}

func noField(t reflect.Type, id, parent string) string {
	if t.Kind() != reflect.Struct {
		return fmt.Sprintf("%s is a %s; it has no field %s", parent, t.Kind(), id)
	}
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() {
			names = append(names, f.Name)
		}
	}
	pt := reflect.PointerTo(t)
	for i := 0; i < pt.NumMethod(); i++ {
		if m := pt.Method(i); fieldMethod(m) {
			names = append(names, m.Name)
		}
	}
	return fmt.Sprintf("the %s has no field %s (it has %s)", viewName(t), id, strings.Join(names, ", "))
}

// fieldMethod reports whether templates call m as they read a field, such
// as .Payload: no arguments but the receiver, one result.
func fieldMethod(m reflect.Method) bool {
	return m.Type.NumIn() == 1 && m.Type.NumOut() == 1
}

func viewName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(Event{}):
		return "event view"
	case reflect.TypeOf(PullRequest{}):
		return "pull request"
	case reflect.TypeOf(Repository{}):
		return "repository"
	case reflect.TypeOf(Commit{}):
		return "commit"
	}
	return strings.ToLower(t.Name())
}

func elemType(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return nil
		}
		return t.Elem()
	}
	return nil
}
