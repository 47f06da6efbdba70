package envfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormatParseRoundTrip(t *testing.T) {
	vars := []Var{
		{"GITHUB_APP_ID", "12345"},
		{"GITHUB_PRIVATE_KEY_FILE", "/srv/my apps/github-app.pem"},
		{"EMPTY", ""},
		{"SECRET", "a$b`c\"d"},
	}
	data, err := Format("written by a test\n\nsecond line", vars)
	if err != nil {
		t.Fatal(err)
	}
	want := "# written by a test\n#\n# second line\nGITHUB_APP_ID=12345\nGITHUB_PRIVATE_KEY_FILE='/srv/my apps/github-app.pem'\nEMPTY=\nSECRET='a$b`c\"d'\n"
	if string(data) != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", data, want)
	}
	got, err := Parse("f.env", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		if got[v.Name] != v.Value {
			t.Errorf("%s = %q, want %q", v.Name, got[v.Name], v.Value)
		}
	}
	// A shell reads the file the same way.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to compare with")
	}
	path := filepath.Join(t.TempDir(), "f.env")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sh, "-c", `set -a; . "$1"; printf '%s|%s|%s' "$GITHUB_PRIVATE_KEY_FILE" "$SECRET" "$EMPTY"`, "sh", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "/srv/my apps/github-app.pem|a$b`c\"d|" {
		t.Errorf("sh read %q", out)
	}
}

func TestFormatRefuses(t *testing.T) {
	for name, v := range map[string]Var{
		"newline":   {"K", "a\nb"},
		"quote":     {"K", "it's"},
		"backslash": {"K", `a\b`},
		"bad name":  {"1K", "x"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Format("", []Var{v})
			if err == nil {
				t.Fatal("no error")
			}
			if v.Value != "x" && strings.Contains(err.Error(), v.Value) {
				t.Errorf("error quotes the value: %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"no equals":  {"# c\nJUSTTEXT-secret\n", "f.env:2: not a NAME=value line"},
		"bad name":   {"9X=1\n", "f.env:1: not a NAME=value line"},
		"unbalanced": {"K='abc\n", "f.env:1: K: unbalanced quotes"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("f.env", []byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestParseExportAndDoubleQuotes(t *testing.T) {
	got, err := Parse("f", []byte("export A=1\nB=\"two words\"\n  # indented comment\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got["A"] != "1" || got["B"] != "two words" || len(got) != 2 {
		t.Fatalf("got %v", got)
	}
}

func TestLookupEnvironmentWins(t *testing.T) {
	env := func(n string) (string, bool) {
		if n == "A" {
			return "env", true
		}
		return "", false
	}
	l := Lookup(env, map[string]string{"A": "file", "B": "file"})
	if v, _ := l("A"); v != "env" {
		t.Errorf("A = %q", v)
	}
	if v, _ := l("B"); v != "file" {
		t.Errorf("B = %q", v)
	}
	if _, ok := l("C"); ok {
		t.Error("C found")
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.env")
	if err := os.WriteFile(path, []byte("# written by setup\nA=1\nB='two words'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil || got["A"] != "1" || got["B"] != "two words" || len(got) != 2 {
		t.Fatalf("Read = %v, %v", got, err)
	}
	missing := filepath.Join(dir, "missing.env")
	if _, err := Read(missing); err == nil || err.Error() != "open "+missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Read(dir); err == nil || err.Error() != "read "+dir+": is a directory" {
		t.Errorf("a directory: %v", err)
	}
}
