package rules

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// glob is one doublestar pattern, validated once at Compile. Patterns without
// meta characters compare as plain strings, which is most of them.
type glob struct {
	pattern string
	literal bool
	fold    bool // compare case-insensitively (the pattern is stored lower-cased)
}

// globKind says how a condition's patterns are read.
type globKind struct {
	negation bool // "!x" allowed (labels, authors)
	fold     bool // case-insensitive (repository, labels, authors)
	botLogin bool // a trailing "[bot]" is literal text, as in dependabot[bot]
}

func (g glob) match(s string) bool {
	if g.fold {
		s = strings.ToLower(s)
	}
	if s == g.pattern {
		return true
	}
	if g.literal {
		return false
	}
	return doublestar.MatchUnvalidated(g.pattern, s)
}

// globs is a list of patterns; it matches when any pattern does.
type globs []glob

func (gs globs) match(s string) bool {
	for _, g := range gs {
		if g.match(s) {
			return true
		}
	}
	return false
}

// parseGlob checks one pattern and returns it compiled, with whether it was
// negated, or a message saying what is wrong.
func parseGlob(p string, kind globKind) (g glob, negated bool, msg string) {
	raw := p
	if strings.HasPrefix(p, "!") {
		if !kind.negation {
			return glob{}, false, "\"!\" (negation) is allowed only in labels and authors"
		}
		negated = true
		p = p[1:]
	}
	if p == "" {
		if negated {
			return glob{}, false, "nothing after \"!\""
		}
		return glob{}, false, "empty pattern"
	}
	if kind.botLogin && strings.HasSuffix(p, "[bot]") {
		p = strings.TrimSuffix(p, "[bot]") + `\[bot\]`
	}
	if kind.fold {
		p = strings.ToLower(p)
	}
	if !doublestar.ValidatePattern(p) {
		return glob{}, false, "bad glob " + quote(raw)
	}
	literal := !strings.ContainsAny(p, `*?[{\`)
	if !literal && kind.botLogin && strings.TrimSuffix(p, `\[bot\]`) != p && !strings.ContainsAny(strings.TrimSuffix(p, `\[bot\]`), `*?[{\`) {
		// dependabot[bot]: only the escaped suffix looked like a pattern.
		p = strings.TrimSuffix(p, `\[bot\]`) + "[bot]"
		literal = true
	}
	return glob{pattern: p, literal: literal, fold: kind.fold}, negated, ""
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
