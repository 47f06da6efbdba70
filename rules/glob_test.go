package rules

import (
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// TestGlobShapesAgreeWithDoublestar checks the string fast paths against
// doublestar itself on every pair of pattern and name below.
func TestGlobShapesAgreeWithDoublestar(t *testing.T) {
	patterns := []string{
		"main", "release/*", "release/**", "**", "*", "*.md", "**/*.md", "docs/**", "src/**", "acme/*", "*/app",
		"v*", "a*", "*x", "release/*/hotfix", "{main,dev}", "release/[0-9]*", "**/test/**", "go.mod", "*.tar.gz", "**/*",
	}
	names := []string{
		"", "main", "mainx", "release", "release/", "release/1.2", "release/1.2/hotfix", "releases/1", "README.md", ".md",
		"docs/a.md", "docs/a/b.md", "/a.md", "a/.md", "src", "src/a.go", "acme/app", "acme/app/x", "acme/", "other/app",
		"v1.2.3", "a", "x", "ax", "x/a", "go.mod", "a/go.mod", "x.tar.gz", "a/x.tar.gz", "test/a", "a/test/b", "dev", "release//x",
	}
	for _, p := range patterns {
		g, neg, msg := parseGlob(p, globKind{})
		if msg != "" || neg {
			t.Fatalf("parseGlob(%q): %s", p, msg)
		}
		for _, n := range names {
			want, err := doublestar.Match(p, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.match(n); got != want {
				t.Errorf("pattern %q (shape %d) on %q: got %v, doublestar says %v", p, g.shape, n, got, want)
			}
		}
	}
}

func TestParseGlob(t *testing.T) {
	tests := map[string]struct {
		pattern string
		kind    globKind
		negated bool
		msg     string
		matches []string
		misses  []string
	}{
		"negated label":             {"!skip-ci", globKind{negation: true, fold: true}, true, "", []string{"Skip-CI"}, []string{"skip"}},
		"negation not allowed":      {"!main", globKind{}, false, `"!" (negation) is allowed only in labels and authors`, nil, nil},
		"empty":                     {"", globKind{}, false, "empty pattern", nil, nil},
		"bare bang":                 {"!", globKind{negation: true}, false, `nothing after "!"`, nil, nil},
		"bad class":                 {"release/[", globKind{}, false, `bad glob "release/["`, nil, nil},
		"bad brace":                 {"{a,b", globKind{}, false, `bad glob "{a,b"`, nil, nil},
		"bot login is literal":      {"dependabot[bot]", globKind{negation: true, fold: true, botLogin: true}, false, "", []string{"dependabot[bot]", "Dependabot[bot]"}, []string{"dependabotb", "dependabot"}},
		"every bot":                 {"*[bot]", globKind{fold: true, botLogin: true}, false, "", []string{"renovate[bot]"}, []string{"renovate", "bot"}},
		"class elsewhere is a glob": {"team-[ab]", globKind{fold: true, botLogin: true}, false, "", []string{"team-a", "TEAM-B"}, []string{"team-c"}},
		"label equal to a pattern":  {"[wip]", globKind{negation: true, fold: true}, false, "", []string{"[wip]", "w"}, []string{"wip"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g, neg, msg := parseGlob(tc.pattern, tc.kind)
			if msg != tc.msg {
				t.Fatalf("msg = %q, want %q", msg, tc.msg)
			}
			if msg != "" {
				return
			}
			if neg != tc.negated {
				t.Errorf("negated = %v", neg)
			}
			for _, s := range tc.matches {
				if !g.match(s) {
					t.Errorf("%q does not match %q", tc.pattern, s)
				}
			}
			for _, s := range tc.misses {
				if g.match(s) {
					t.Errorf("%q matches %q", tc.pattern, s)
				}
			}
		})
	}
}
