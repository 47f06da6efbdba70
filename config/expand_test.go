package config

import (
	"slices"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := env(map[string]string{"A": "alpha", "EMPTY": "", "N": "42"})
	tests := map[string]struct {
		in      string
		want    string
		missing []string
		vars    bool
		err     string
	}{
		"no reference":                 {in: "plain text", want: "plain text"},
		"one variable":                 {in: "${A}", want: "alpha", vars: true},
		"inside text":                  {in: "x-${A}-${N}", want: "x-alpha-42", vars: true},
		"default when unset":           {in: "${UNSET:-fallback}", want: "fallback", vars: true},
		"default may be empty":         {in: "${UNSET:-}", want: "", vars: true},
		"default when set but empty":   {in: "${EMPTY:-fallback}", want: "fallback", vars: true},
		"no default when set":          {in: "${A:-fallback}", want: "alpha", vars: true},
		"set to empty without default": {in: "[${EMPTY}]", want: "[]", vars: true},
		"default holds colons":         {in: "${ADDR:-:3000}", want: ":3000", vars: true},
		"dollar dollar escapes":        {in: "$$5", want: "$5"},
		"escaped reference":            {in: "$${A}", want: "${A}"},
		"template variables kept":      {in: "{{ $x := .SHA }}{{ $x }}", want: "{{ $x := .SHA }}{{ $x }}"},
		"trailing dollar kept":         {in: "costs 5$", want: "costs 5$"},
		"missing":                      {in: "${X}/${A}/${Y}", want: "/alpha/", missing: []string{"X", "Y"}, vars: true},
		"unterminated":                 {in: "a ${A", err: "unterminated variable reference"},
		"bad name":                     {in: "${A-B}", err: "invalid variable reference"},
		"name starting with a digit":   {in: "${1A}", err: "invalid variable reference"},
		"empty name":                   {in: "${}", err: "invalid variable reference"},
		"shell forms other than :-":    {in: "${A:=x}", err: "invalid variable reference"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			x, err := expand(tc.in, vars)
			if tc.err != "" {
				if err == nil || !slices.Contains([]string{err.Error()[:len(tc.err)]}, tc.err) {
					t.Fatalf("expand(%q) error = %v, want %q...", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("expand(%q): %v", tc.in, err)
			}
			if x.value != tc.want || !slices.Equal(x.missing, tc.missing) || x.vars != tc.vars {
				t.Errorf("expand(%q) = %q missing %v vars %v, want %q missing %v vars %v", tc.in, x.value, x.missing, x.vars, tc.want, tc.missing, tc.vars)
			}
		})
	}
}
