package handlers

import (
	"encoding/json"
	"os"
	"testing"
)

// validJSON answers as encoding/json.Valid does, on the inputs where the
// two parsers' options could part ways.
func TestValidJSON(t *testing.T) {
	tests := map[string]struct {
		in   string
		want bool
	}{
		"object":                  {`{"a":1}`, true},
		"spaces around":           {" \n\t{\"a\":[1,2.5e3,true,null]}\r\n", true},
		"repeated name":           {`{"a":1,"a":2}`, true},
		"invalid UTF-8 in string": {"{\"a\":\"\xff\xfe\"}", true},
		"escaped lone surrogate":  {`{"a":"\ud800"}`, true},
		"empty":                   {``, false},
		"only spaces":             {"  ", false},
		"trailing data":           {`{} {}`, false},
		"trailing comma":          {`{"a":1,}`, false},
		"control char in string":  {"{\"a\":\"\x01\"}", false},
		"bad escape":              {`{"a":"\x"}`, false},
		"leading zero":            {`{"a":01}`, false},
		"unquoted name":           {`{a:1}`, false},
		"NaN":                     {`{"a":NaN}`, false},
		"scalar":                  {`"x"`, true},
		"cut short":               {`{"a":`, false},
		"invalid UTF-8 outside":   {"{\"a\":1}\xff", false},
		"byte order mark":         {"\xef\xbb\xbf{}", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := validJSON([]byte(tc.in)); got != tc.want {
				t.Errorf("validJSON(%q) = %v, want %v", tc.in, got, tc.want)
			}
			if std := json.Valid([]byte(tc.in)); std != tc.want {
				t.Errorf("encoding/json.Valid(%q) = %v: the table is wrong", tc.in, std)
			}
		})
	}
}

// FuzzValidJSON holds validJSON to encoding/json.Valid's answer.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `[1,2]`, `{`, `{"a":"\u00e9"}`, pushBody} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json.Valid says %v", b, got, want)
		}
	})
}

// BenchmarkValidJSON compares validJSON with encoding/json.Valid on
// GitHub's push example:
//
//	go test -run '^$' -bench ValidJSON ./handlers/
func BenchmarkValidJSON(b *testing.B) {
	data, err := os.ReadFile("../testdata/webhooks/push.branch.json")
	if err != nil {
		b.Fatal(err)
	}
	for name, valid := range map[string]func([]byte) bool{"jsontext": validJSON, "encoding-json": json.Valid} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !valid(data) {
					b.Fatal("not valid")
				}
			}
		})
	}
}
