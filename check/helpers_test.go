package check

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
)

// load parses a configuration; every test config gets a webhook secret.
func load(t *testing.T, yaml string, env map[string]string) *config.Config {
	t.Helper()
	yaml = "github:\n  webhook_secret: s\n" + yaml
	if !strings.Contains(yaml, "\nstore:") {
		yaml += "store:\n  dsn: " + t.TempDir() + "/sb.db\n"
	}
	cfg, err := config.Parse("c.yml", []byte(yaml), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

// lines runs every check and returns the lines.
func lines(t *testing.T, cfg *config.Config) []string {
	t.Helper()
	var out []string
	for _, r := range Run(context.Background(), Options{Config: cfg}) {
		out = append(out, r.String())
	}
	return out
}

// line returns the one line whose name is name.
func line(t *testing.T, cfg *config.Config, name string) string {
	t.Helper()
	for _, l := range lines(t, cfg) {
		if strings.HasPrefix(l, name+": ") {
			return l
		}
	}
	t.Fatalf("no %q line", name)
	return ""
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
