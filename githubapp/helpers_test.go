package githubapp_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

const appID = 424242

// env is a Creator wired to a fake GitHub, with its log and metrics captured.
type env struct {
	key  *fakegithub.Key
	gh   *fakegithub.Server
	c    *githubapp.Creator
	logs *syncBuffer
	log  *logrus.Entry
	reg  *prometheus.Registry
}

// newEnv starts a fake GitHub for the App and a Creator pointed at it;
// fo and co adjust their options.
func newEnv(t *testing.T, fo func(*fakegithub.Options), co func(*githubapp.Options)) *env {
	t.Helper()
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	fopts := fakegithub.Options{AppID: appID, PublicKey: key.PublicKey()}
	if fo != nil {
		fo(&fopts)
	}
	gh := fakegithub.New(fopts)
	t.Cleanup(gh.Close)

	logs := &syncBuffer{}
	l := logrus.New()
	l.Out = logs
	l.Level = logrus.DebugLevel
	l.Formatter = &logrus.JSONFormatter{}
	reg := prometheus.NewRegistry()
	copts := githubapp.Options{
		AppID: appID, PrivateKey: key.PEM, BaseURL: gh.URL(),
		Logger: logrus.NewEntry(l), Registerer: reg,
	}
	if co != nil {
		co(&copts)
	}
	c, err := githubapp.New(copts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{key: key, gh: gh, c: c, logs: logs, log: copts.Logger, reg: reg}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// metricValue reads one counter or gauge from reg; labels must match exactly.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			if m.Counter != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

// assertNoSecret fails when s holds any line of the key's PEM body, a JWT
// ("eyJ" starts every JWT header), an installation token, or any of extra.
func assertNoSecret(t *testing.T, s string, key *fakegithub.Key, extra ...string) {
	t.Helper()
	for _, line := range strings.Split(string(key.PEM), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(s, line[:16]) {
			t.Errorf("private key material in %q", s)
		}
	}
	for _, bad := range append([]string{"eyJ", "ghs_"}, extra...) {
		if strings.Contains(s, bad) {
			t.Errorf("%q found in %q", bad, s)
		}
	}
}
