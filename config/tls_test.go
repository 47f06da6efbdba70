package config

import (
	"strings"
	"testing"
)

func TestServerTLS(t *testing.T) {
	const head = "github:\n  webhook_secret: s\nserver:\n"
	tests := map[string]struct {
		yaml string
		want []string // "line:col: key: message", empty when valid
	}{
		"both files":     {head + "  tls:\n    cert_file: /etc/sb/tls.crt\n    key_file: /etc/sb/tls.key\n", nil},
		"no key file":    {head + "  tls:\n    cert_file: /etc/sb/tls.crt\n", []string{"4:3: server.tls.key_file: is required: the PEM file of the certificate's private key"}},
		"empty cert":     {head + "  tls:\n    cert_file: \"\"\n    key_file: k\n", []string{"5:16: server.tls.cert_file: is required: the PEM file of the certificate (and its chain)"}},
		"written null":   {head + "  tls:\n", []string{"4:3: server.tls: needs cert_file and key_file (leave tls out to serve plain HTTP)"}},
		"unknown key":    {head + "  tls:\n    cert: x\n", []string{`5:5: server.tls.cert: unknown key "cert"; expected one of: cert_file, key_file`}},
		"not a mapping":  {head + "  tls: true\n", []string{"4:8: server.tls: "}},
		"plain HTTP yet": {head + "  addr: \":3000\"\n", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse("c.yml", []byte(tc.yaml), env(nil))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(tc.yaml, "tls:") && (cfg.Server.TLS == nil || cfg.Server.TLS.CertFile != "/etc/sb/tls.crt" || cfg.Server.TLS.KeyFile != "/etc/sb/tls.key") {
					t.Errorf("tls = %+v", cfg.Server.TLS)
				}
				if !strings.Contains(tc.yaml, "tls:") && cfg.Server.TLS != nil {
					t.Errorf("tls = %+v without tls:", cfg.Server.TLS)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], "c.yml:"+w) {
					t.Errorf("error %d = %s, want c.yml:%s", i, got[i], w)
				}
			}
		})
	}
}
