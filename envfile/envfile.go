// Package envfile reads and writes files of environment variables, one
// KEY=value a line, in the subset that a POSIX shell (`set -a; . FILE`),
// systemd's EnvironmentFile= and switchboard's --env-file all read the same
// way: blank lines and lines starting with # are ignored, a value is written
// bare or in single quotes, and nothing is expanded.
package envfile

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Var is one variable.
type Var struct {
	Name, Value string
}

var (
	validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// bare values need no quotes in any of the readers.
	bare = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]*$`)
)

// Format writes vars after a comment header (each line prefixed "# ").
// A value that cannot be written so that every reader reads it back the
// same (a newline, a single quote, a backslash) is an error naming the
// variable, never quoting the value, which may be a secret.
func Format(header string, vars []Var) ([]byte, error) {
	var b bytes.Buffer
	for _, line := range strings.Split(header, "\n") {
		if line == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + line + "\n")
	}
	for _, v := range vars {
		if !validName.MatchString(v.Name) {
			return nil, fmt.Errorf("envfile: %q is not a variable name", v.Name)
		}
		switch {
		case bare.MatchString(v.Value):
			b.WriteString(v.Name + "=" + v.Value + "\n")
		case strings.ContainsAny(v.Value, "'\\\n\r\x00"):
			return nil, fmt.Errorf("envfile: the value of %s holds a quote, a backslash or a line break, which an env file cannot carry", v.Name)
		default:
			b.WriteString(v.Name + "='" + v.Value + "'\n")
		}
	}
	return b.Bytes(), nil
}

// Parse reads data as written by Format (file names it in errors). It also
// takes an "export " prefix and double-quoted values without escapes.
func Parse(file string, data []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		if !ok || !validName.MatchString(name) {
			// The line may hold a secret: say where, not what.
			return nil, fmt.Errorf("%s:%d: not a NAME=value line", file, n)
		}
		if len(value) >= 2 && (value[0] == '\'' || value[0] == '"') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		} else if strings.ContainsAny(value, "'\"") {
			return nil, fmt.Errorf("%s:%d: %s: unbalanced quotes", file, n, name)
		}
		out[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// Read parses the file at path.
func Read(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Lookup returns a lookup function that answers from env first and from
// vars for what env does not set: a variable exported in the environment
// overrides the file, as with dotenv.
func Lookup(env func(string) (string, bool), vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := env(name); ok {
			return v, true
		}
		v, ok := vars[name]
		return v, ok
	}
}
