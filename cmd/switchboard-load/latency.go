package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

// latencyParam is the build parameter that carries the delivery ID: the
// rule in scripts/bench-latency.sh sends DELIVERY: "{{ .Delivery }}".
const latencyParam = "DELIVERY"

// Jenkins credentials of the fake: the user is fixed, the API token is
// read from jenkinsTokenEnv (Switchboard's config requires both).
const (
	jenkinsUser     = "bench"
	jenkinsTokenEnv = "SWITCHBOARD_LOAD_JENKINS_TOKEN"
)

// triggerClock records, for each delivery, when the request that sent it
// started and when its Jenkins trigger arrived, both on this process's
// monotonic clock.
type triggerClock struct {
	mu      sync.Mutex
	sent    map[string]time.Time
	arrived map[string]time.Time
	extra   int // triggers for no delivery sent, or a second one for one
	changed chan struct{}
}

func newTriggerClock() *triggerClock {
	return &triggerClock{sent: map[string]time.Time{}, arrived: map[string]time.Time{}, changed: make(chan struct{}, 1)}
}

// onSend is loadConfig.OnSend.
func (c *triggerClock) onSend(id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[id] = at
}

// arrive records a trigger for delivery id at at.
func (c *triggerClock) arrive(id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.arrived[id]; dup || id == "" {
		c.extra++
	} else {
		c.arrived[id] = at
	}
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// wrap returns h with the arrival of every build trigger h accepts (201)
// recorded, timed when the request reached the fake. The form is read here,
// so the body is put back for h.
func (c *triggerClock) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/buildWithParameters") {
			h.ServeHTTP(w, r)
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		id := r.URL.Query().Get(latencyParam)
		if form, err := url.ParseQuery(string(b)); err == nil && form.Get(latencyParam) != "" {
			id = form.Get(latencyParam)
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusCreated {
			c.arrive(id, at)
		}
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wait waits until every delivery in ids has its trigger, or ctx ends.
func (c *triggerClock) wait(ctx context.Context, ids []string) {
	for {
		c.mu.Lock()
		missing := 0
		for _, id := range ids {
			if _, ok := c.arrived[id]; !ok {
				missing++
			}
		}
		c.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-c.changed:
		case <-ctx.Done():
			return
		}
	}
}

// latencyReport is delivery sent -> Jenkins trigger received.
type latencyReport struct {
	Delivered int       `json:"delivered"` // deliveries answered 2xx
	Triggered int       `json:"triggered"` // of them, with a trigger
	Missing   int       `json:"missing"`
	Extra     int       `json:"extra"` // triggers for no delivery, or repeated
	Latency   latencies `json:"latency"`
}

// report computes the latencies of the deliveries in ids.
func (c *triggerClock) report(ids []string) latencyReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	rep := latencyReport{Delivered: len(ids), Extra: c.extra}
	var d []time.Duration
	for _, id := range ids {
		a, ok := c.arrived[id]
		s, sent := c.sent[id]
		if !ok || !sent {
			rep.Missing++
			continue
		}
		d = append(d, a.Sub(s))
	}
	rep.Triggered = len(d)
	rep.Latency = percentiles(d)
	return rep
}

// fakeJenkinsServer is internal/fakejenkins, taking any job and parameter
// from user jenkinsUser with the given API token, served on addr with each
// trigger's arrival recorded.
type fakeJenkinsServer struct {
	fake *fakejenkins.Server
	http *loopbackServer
}

// startFakeJenkins serves the fake Jenkins on addr (a loopback address the
// server under test is configured with).
func startFakeJenkins(addr, token string, clock *triggerClock) (*fakeJenkinsServer, error) {
	if token == "" {
		return nil, errors.New("-latency-jenkins needs the fake's API token in $" + jenkinsTokenEnv)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-latency-jenkins: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-latency-jenkins %q: not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	fake := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: token})
	return &fakeJenkinsServer{fake: fake, http: serveListener(ln, clock.wrap(fake))}, nil
}

func (s *fakeJenkinsServer) stop() error {
	err := s.http.stop()
	s.fake.Close()
	return err
}

// deliveredIDs are the IDs of the deliveries the target answered 2xx.
type deliveredIDs struct {
	mu  sync.Mutex
	ids []string
}

func (d *deliveredIDs) add(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids = append(d.ids, id)
}

func (d *deliveredIDs) all() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}

// errNoTriggers is returned when no delivery reached Jenkins at all: the
// rule or the Jenkins URL is wrong, not slow.
var errNoTriggers = errors.New("no delivery reached the fake Jenkins: check the rule and its Jenkins URL")
