package e2e

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReadmeAlertMetrics: the README's example alert rules are valid YAML
// of Prometheus's rule file shape, and every switchboard_ metric they name
// is one a running server exports.
func TestReadmeAlertMetrics(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "### Metrics for the backlog")
	if !ok {
		t.Fatal("README has no section \"Metrics for the backlog\"")
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("the section has no yaml block")
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(block))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("the alert rules are not a rule file: %v", err)
	}

	a := startAdmin(t, always(http.StatusOK))
	a.push(t, "alerts-1", "main")
	a.settled(t, "alerts-1")
	resp, err := http.Get(a.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	exported, _ := io.ReadAll(resp.Body)

	names := regexp.MustCompile(`switchboard_[a-z_]+`)
	seen := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.For == "" {
				t.Errorf("rule %+v lacks alert, expr or for", r)
			}
			for _, name := range names.FindAllString(r.Expr, -1) {
				seen++
				family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				if !strings.Contains(string(exported), "# TYPE "+family+" ") {
					t.Errorf("alert %s names %s, which the server does not export", r.Alert, name)
				}
			}
		}
	}
	for _, want := range []string{"switchboard_queue_jobs", "switchboard_queue_oldest_available_seconds", "switchboard_delivery_to_action_seconds"} {
		if !strings.Contains(block, want) {
			t.Errorf("the alert rules do not use %s", want)
		}
	}
	if seen == 0 {
		t.Fatal("no metric found in the alert rules")
	}
}
