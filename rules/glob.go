package rules

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// glob is one doublestar pattern, validated once at Compile. The common
// shapes (a literal, acme/*, *.md, release/**, **/*.md, **) are matched with
// plain string operations, which give the same answers as doublestar (a test
// compares them) without walking the pattern for every rule of every event.
type glob struct {
	pattern string
	shape   globShape
	fixed   string // the literal part of a fast shape
	fold    bool   // compare case-insensitively (the pattern is stored lower-cased)
}

type globShape int

const (
	shapeGeneral   globShape = iota // anything else: doublestar
	shapeLiteral                    // no meta characters
	shapePrefix                     // P*: P, then anything without a /
	shapeSuffix                     // *S: anything without a /, then S
	shapeDir                        // P/**: P itself or anything below it
	shapeAll                        // **
	shapeAnySuffix                  // **/*S: a last segment ending in S, at any depth
)

const globMeta = `*?[{\`

// shapeOf finds a fast shape for a validated pattern.
func shapeOf(p string) (globShape, string) {
	plain := func(s string) bool { return !strings.ContainsAny(s, globMeta) }
	switch {
	case plain(p):
		return shapeLiteral, p
	case p == "**":
		return shapeAll, ""
	case strings.HasSuffix(p, "/**") && plain(p[:len(p)-3]):
		return shapeDir, p[:len(p)-3]
	case len(p) > 4 && strings.HasPrefix(p, "**/*") && plain(p[4:]) && !strings.Contains(p[4:], "/"):
		return shapeAnySuffix, p[4:]
	case strings.HasSuffix(p, "*") && plain(p[:len(p)-1]):
		return shapePrefix, p[:len(p)-1]
	case strings.HasPrefix(p, "*") && plain(p[1:]):
		return shapeSuffix, p[1:]
	}
	return shapeGeneral, ""
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
	return g.matchPrepared(s)
}

// matchPrepared matches s, which the caller has already lower-cased when the
// glob folds case: conditions lower-case an event's values once, not once
// per rule.
func (g glob) matchPrepared(s string) bool {
	if s == g.pattern {
		return true // also lets a label such as "[wip]" match itself
	}
	switch g.shape {
	case shapeLiteral:
		return false
	case shapeAll:
		return true
	case shapePrefix:
		return strings.HasPrefix(s, g.fixed) && !strings.Contains(s[len(g.fixed):], "/")
	case shapeSuffix:
		return strings.HasSuffix(s, g.fixed) && !strings.Contains(s[:len(s)-len(g.fixed)], "/")
	case shapeDir:
		return s == g.fixed || strings.HasPrefix(s, g.fixed) && s[len(g.fixed)] == '/'
	case shapeAnySuffix:
		return strings.HasSuffix(s[strings.LastIndexByte(s, '/')+1:], g.fixed)
	}
	return doublestar.MatchUnvalidated(g.pattern, s)
}

// globs is a list of patterns; it matches when any pattern does. s must be
// prepared as for matchPrepared.
type globs []glob

func (gs globs) match(s string) bool {
	for _, g := range gs {
		if g.matchPrepared(s) {
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
	if kind.botLogin {
		if name := strings.TrimSuffix(p, `\[bot\]`); name != p && !strings.ContainsAny(name, globMeta) {
			// dependabot[bot]: only the escaped suffix looked like a pattern.
			p = name + "[bot]"
			return glob{pattern: p, shape: shapeLiteral, fixed: p, fold: kind.fold}, negated, ""
		}
	}
	shape, fixed := shapeOf(p)
	return glob{pattern: p, shape: shape, fixed: fixed, fold: kind.fold}, negated, ""
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
