package config

import (
	"fmt"
	"strconv"
	"strings"
)

// expansion is the outcome of expanding one scalar.
type expansion struct {
	value string
	// vars is true when the scalar held a ${...} reference, so its value
	// may come from the environment and must not be echoed in errors.
	vars bool
	// changed is true when value differs from the text written.
	changed bool
	// used are the variables whose values were taken from the environment.
	used []envValue
	// missing are the variables that were not set and had no default.
	missing []string
}

// envValue is one variable's value as read from the environment.
type envValue struct{ name, value string }

// expand replaces ${VAR} and ${VAR:-default} in s. $$ stands for a literal $;
// any other $ is kept as written, so text/template variables ({{ $x }}) need
// no escaping. Following the shell, ${VAR:-default} takes the default when
// VAR is unset or empty, and ${VAR} of a variable set to "" is "".
func expand(s string, lookup func(string) (string, bool)) (expansion, error) {
	if !strings.Contains(s, "$") {
		return expansion{value: s}, nil
	}
	var (
		b   strings.Builder
		out expansion
	)
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			out.changed = true
			i += 2
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return expansion{}, &refError{ref: s[i:], unterminated: true}
			}
			ref := s[i : i+2+end+1]
			inner := s[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(inner, ":-")
			if !validVarName(name) {
				return expansion{}, &refError{ref: ref}
			}
			out.vars, out.changed = true, true
			v, ok := lookup(name)
			switch {
			case ok && (v != "" || !hasDef):
				b.WriteString(v)
				if v != "" {
					out.used = append(out.used, envValue{name, v})
				}
			case hasDef:
				b.WriteString(def)
			default:
				out.missing = append(out.missing, name)
			}
			i += len(ref)
		default:
			b.WriteByte('$')
			i++
		}
	}
	out.value = b.String()
	return out, nil
}

// refError is a ${ that is not a well-formed reference.
type refError struct {
	ref          string
	unterminated bool
}

// Error describes the reference without quoting it; message quotes it where
// the value is not a secret.
func (e *refError) Error() string { return e.message(false) }

// message explains the problem, quoting the reference when quote is true.
func (e *refError) message(quote bool) string {
	what := "variable reference"
	if quote {
		what += " " + strconv.Quote(truncate(e.ref, 40))
	}
	if e.unterminated {
		return fmt.Sprintf("unterminated %s: write ${NAME}, or $$ for a literal $", what)
	}
	return fmt.Sprintf("invalid %s: write ${NAME} or ${NAME:-default} (NAME of letters, digits and _), or $$ for a literal $", what)
}

// validVarName reports whether name is a shell-style variable name.
func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// missingMessage says which variables are not set. A secret is not offered
// a default: it does not belong in the file.
func missingMessage(names []string, secret bool) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	if len(refs) == 1 && secret {
		return fmt.Sprintf("variable %s is not set", refs[0])
	}
	if len(refs) == 1 {
		return fmt.Sprintf("variable %s is not set; set it, or write ${%s:-default}", refs[0], names[0])
	}
	return fmt.Sprintf("variables %s are not set", strings.Join(refs, ", "))
}

// truncate shortens s to at most n bytes for quoting in a message, on a
// rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
