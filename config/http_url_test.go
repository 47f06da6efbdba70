package config

import (
	"strings"
	"testing"
)

// An http action's url cannot take its scheme, host or port from a
// template, nor its Host header; allow_hosts, when given, must hold the
// url's host and be made of host globs. The last two actions of the fixture
// are valid and give no error.
func TestHTTPURLHostChecks(t *testing.T) {
	path := fixture("http_url_invalid.yml")
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	want := []string{
		`7:21: rules[0].do[0].http.url: the host cannot come from a template`,
		`8:21: rules[0].do[1].http.url: the host cannot come from a template`,
		`9:21: rules[0].do[2].http.url: the host cannot come from a template`,
		`10:21: rules[0].do[3].http.url: the host cannot come from a template`,
		`11:21: rules[0].do[4].http.url: the host is not in allow_hosts (*.example.com)`,
		`12:66: rules[0].do[5].http.allow_hosts[0]: "[" is not a host glob such as *.example.com or hooks.example.com:8443`,
		`12:71: rules[0].do[5].http.allow_hosts[1]: "a/b" is not a host glob such as *.example.com or hooks.example.com:8443`,
		`13:68: rules[0].do[6].http.headers.Host: the host cannot come from a template`,
	}
	got := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], path+":")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHostAllowed(t *testing.T) {
	tests := map[string]struct {
		globs []string
		url   string
		want  bool
	}{
		"exact name, any port":     {[]string{"hooks.example.com"}, "https://hooks.example.com:8443/x", true},
		"subdomain glob":           {[]string{"*.example.com"}, "https://a.b.example.com/x", true},
		"glob is not a suffix":     {[]string{"*.example.com"}, "https://example.com.evil.org/x", false},
		"case folded":              {[]string{"HOOKS.example.com"}, "https://hooks.EXAMPLE.com/", true},
		"port given, port differs": {[]string{"hooks.example.com:8443"}, "https://hooks.example.com/x", false},
		"port given, port same":    {[]string{"hooks.example.com:8443"}, "https://hooks.example.com:8443/x", true},
		"metadata address":         {[]string{"*.example.com"}, "http://169.254.169.254/latest", false},
		"IPv6 in brackets":         {[]string{"[::1]"}, "http://[::1]:8080/x", true},
		"not a URL":                {[]string{"*"}, "no host", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := HostAllowed(tc.globs, tc.url); got != tc.want {
				t.Errorf("HostAllowed(%v, %q) = %v, want %v", tc.globs, tc.url, got, tc.want)
			}
		})
	}
}

// server.max_inflight_body_bytes must be positive and leave, beside the
// reserved eighth, room for one delivery of max_payload_bytes; the least
// that does is accepted.
func TestInflightBudgetChecks(t *testing.T) {
	tests := map[string]string{
		"inflight_invalid.yml": `2:28: server.max_inflight_body_bytes: 29959313 cannot hold one delivery of max_payload_bytes (26214400) beside the eighth reserved for deliveries of up to 1 MiB: give at least 29959314`,
		"inflight_zero.yml":    `2:28: server.max_inflight_body_bytes: must be greater than 0 (the default is 67108864)`,
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			path := fixture(file)
			_, err := Load(path, nil)
			if err == nil || strings.TrimPrefix(strings.TrimSpace(err.Error()), path+":") != want {
				t.Errorf("Load = %v, want %s", err, want)
			}
		})
	}
	least := LeastInflightBodyBytes(DefaultMaxPayloadBytes)
	if general := least - least/8; general < DefaultMaxPayloadBytes || (least-1)-(least-1)/8 >= DefaultMaxPayloadBytes {
		t.Errorf("LeastInflightBodyBytes = %d, not the least whose large share holds %d", least, DefaultMaxPayloadBytes)
	}
	cfg, err := Load(fixture("minimal.yml"), env(map[string]string{"GITHUB_WEBHOOK_SECRET": "s"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.MaxInflightBodyBytes != DefaultMaxInflightBodyBytes {
		t.Errorf("default %d, want %d", cfg.Server.MaxInflightBodyBytes, DefaultMaxInflightBodyBytes)
	}
}
