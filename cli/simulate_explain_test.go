package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
)

// TestSimulateExplain: --explain prints the rules' explanation (the text
// the golden files of package rules hold) before the action lines.
func TestSimulateExplain(t *testing.T) {
	cfgPath := filepath.Join("..", "testdata", "config", "rules-explain.yml")
	payloadPath := filepath.Join("..", "testdata", "webhooks", "push.tag.json")
	code, stdout, stderr := run(t, nil, "", "simulate", "-c", cfgPath, "--event", "push", "--payload", payloadPath, "--explain")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "explain", "push.tag.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix([]byte(stdout), golden) {
		t.Fatalf("stdout does not start with the golden explanation:\n%s", stdout)
	}
	// Then exactly what simulate prints without --explain.
	cfg, err := config.Load(cfgPath, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile(payloadPath)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := rules.Simulate(context.Background(), e, "push", "simulated", payload, nil, &plain, nil); err != nil {
		t.Fatal(err)
	}
	if got := stdout[len(golden):]; got != plain.String() || got == "" {
		t.Fatalf("after the explanation:\n%s\nwant:\n%s", got, plain.String())
	}
}
