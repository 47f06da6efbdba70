package config

import (
	"fmt"
	"io"
	"strings"
)

// fmt prints a value without calling its methods when the verb does not fit
// an enclosing value (a *JenkinsServer inside a map printed with %s is
// printed as "%!s(*config.JenkinsServer=&{...})", fields and all). So Secret
// and every struct that holds one implement fmt.Formatter, which fmt asks
// first for every verb, and print their fields through a copy of a type
// without methods, whose Secret fields redact themselves.

// Format implements fmt.Formatter: every verb prints <secret>, quoted for
// %q and %#v.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		io.WriteString(f, `"`+redacted+`"`)
		return
	}
	io.WriteString(f, redacted)
}

// formatPlain prints v, a methodless copy of a struct named name, with the
// verb and flags of f.
func formatPlain(f fmt.State, verb rune, v any, name string) {
	out := fmt.Sprintf(fmt.FormatString(f, verb), v)
	if verb == 'v' && f.Flag('#') {
		out = strings.Replace(out, "config.plain", "config."+name, 1)
	}
	io.WriteString(f, out)
}

// Format implements fmt.Formatter, redacting the secrets.
func (g GitHub) Format(f fmt.State, verb rune) {
	type plain GitHub
	formatPlain(f, verb, plain(g), "GitHub")
}

// Format implements fmt.Formatter, redacting the DSN.
func (s Store) Format(f fmt.State, verb rune) {
	type plain Store
	formatPlain(f, verb, plain(s), "Store")
}

// Format implements fmt.Formatter, redacting the token and password.
func (s JenkinsServer) Format(f fmt.State, verb rune) {
	type plain JenkinsServer
	formatPlain(f, verb, plain(s), "JenkinsServer")
}

// Format implements fmt.Formatter, redacting the token and webhook URL.
func (s SlackConnection) Format(f fmt.State, verb rune) {
	type plain SlackConnection
	formatPlain(f, verb, plain(s), "SlackConnection")
}

// Format implements fmt.Formatter, redacting the signing secret.
func (h HTTPAction) Format(f fmt.State, verb rune) {
	type plain HTTPAction
	formatPlain(f, verb, plain(h), "HTTPAction")
}
