package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func loadText(t *testing.T, text string, env map[string]string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "switchboard.yml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(p, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

// TestAdminToken: a token is read from the environment as a secret; a
// short one and a webhook path under the admin paths are refused, without
// echoing the token.
func TestAdminToken(t *testing.T) {
	const base = "github:\n  webhook_secret: s3cr3t-webhook\n"
	tests := map[string]struct {
		server  string
		env     map[string]string
		wantErr string // "" = loads
	}{
		"unset is off": {server: ""},
		"from the environment": {
			server: "server:\n  admin_token: ${SWITCHBOARD_ADMIN_TOKEN}\n",
			env:    map[string]string{"SWITCHBOARD_ADMIN_TOKEN": "0123456789abcdef0123"},
		},
		"too short": {
			server:  "server:\n  admin_token: ${SWITCHBOARD_ADMIN_TOKEN}\n",
			env:     map[string]string{"SWITCHBOARD_ADMIN_TOKEN": "hunter2"},
			wantErr: "server.admin_token: the value is too short: use at least 16 characters (for example: openssl rand -hex 32)",
		},
		"webhook path under /api/": {
			server:  "server:\n  webhook_path: /api/v1/hook\n",
			wantErr: `server.webhook_path: "/api/v1/hook" is under /api/ or /ui/, which the admin API and web page use`,
		},
		"webhook path under /ui/": {
			server:  "server:\n  webhook_path: /ui/hook\n",
			wantErr: `server.webhook_path: "/ui/hook" is under /api/ or /ui/, which the admin API and web page use`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadText(t, tc.server+base, tc.env)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if want := tc.env["SWITCHBOARD_ADMIN_TOKEN"]; string(cfg.Server.AdminToken) != want {
					t.Fatalf("admin_token = %q, want %q", string(cfg.Server.AdminToken), want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}

// TestSecretValues finds every secret of examples/full.yml, and the admin
// token.
func TestSecretValues(t *testing.T) {
	cfg := mustLoad(t, "../examples/full.yml", secretValues)
	cfg.Server.AdminToken = "admin-token-leak-0123"
	got := cfg.SecretValues()
	for _, want := range []string{"leak-webhook-9f3a", "leak-jenkins-71bc", "xoxb-leak-slack-c0de", "leak-deploy-5e11", "leak-dsn-path.db", "admin-token-leak-0123"} {
		if !slices.Contains(got, want) {
			t.Errorf("SecretValues() = %q, lacks %q", got, want)
		}
	}
	for _, v := range got {
		if v == "" {
			t.Errorf("SecretValues() holds an empty value")
		}
	}
}
