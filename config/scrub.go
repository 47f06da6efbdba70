package config

import (
	"sort"
	"strconv"
	"strings"
)

// scrubPair is a value that must not appear in an error message and what
// stands for it there.
type scrubPair struct{ value, with string }

// minBareScrub is the shortest value replaced wherever it appears in a
// message; shorter ones are replaced only where quoted, so that a variable
// set to "1" does not garble every digit of every message.
const minBareScrub = 4

// addSecret hides value (a Secret's) from every message.
func (p *parser) addSecret(value string) {
	if value != "" {
		p.scrubs = append(p.scrubs, scrubPair{value, redacted})
	}
}

// addExpanded makes messages name where value came from (raw, such as
// ${APP_ID}) instead of showing it.
func (p *parser) addExpanded(value, raw string) {
	if value != "" {
		p.scrubs = append(p.scrubs, scrubPair{value, raw})
	}
}

// scrubber returns a function that replaces every secret and every value
// read from the environment in a message. It is a closure, not a field of
// Config holding the values, because fmt prints unexported fields too.
func (p *parser) scrubber() func(string) string {
	if len(p.scrubs) == 0 {
		return nil
	}
	var pairs []scrubPair
	for _, sp := range p.scrubs {
		if sp.with == redacted {
			pairs = append(pairs, sp)
		}
	}
	for _, sp := range p.scrubs {
		if sp.with != redacted {
			pairs = append(pairs, sp)
		}
	}
	// Secrets were added first and win over an equal value read from the
	// environment; longer values go first so a value's prefix cannot break
	// it in two.
	seen := map[string]bool{}
	var olds []scrubPair
	for _, sp := range pairs {
		q := strconv.Quote(sp.value)
		if !seen[q] {
			seen[q] = true
			olds = append(olds, scrubPair{q, strconv.Quote(sp.with)})
		}
		if len(sp.value) >= minBareScrub && !seen[sp.value] {
			seen[sp.value] = true
			olds = append(olds, scrubPair{sp.value, sp.with})
		}
	}
	sort.SliceStable(olds, func(i, j int) bool { return len(olds[i].value) > len(olds[j].value) })
	args := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		args = append(args, o.value, o.with)
	}
	r := strings.NewReplacer(args...)
	return r.Replace
}

// scrubbed returns es with every message scrubbed.
func (p *parser) scrubbed(es Errors) Errors {
	f := p.scrubber()
	if f == nil {
		return es
	}
	for _, e := range es {
		e.Msg = f(e.Msg)
	}
	return es
}
