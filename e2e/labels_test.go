package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// 500 signed deliveries with 500 distinct X-GitHub-Event values give the
// event label of switchboard_deliveries_processed_total only the names
// GitHub sends (as go-github lists them) and "other": here the three known
// names sent and "other", counting the other 497.
func TestEventLabelBounded(t *testing.T) {
	srv := startServer(t, intakeConfig, nil)
	known := []string{"push", "release", "workflow_run"}
	names := append([]string(nil), known...)
	for i := len(names); i < 500; i++ {
		names = append(names, fmt.Sprintf("made-up-event-%03d", i))
	}
	body := []byte(`{"action":"x","repository":{"full_name":"o/r"}}`)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a := send(t, srv.URL+"/webhook", delivery{event: name, id: fmt.Sprintf("label-%03d", i), body: body})
			if a.status != http.StatusAccepted {
				t.Errorf("%s: %d %s, want 202", name, a.status, a.body)
			}
		}()
	}
	wg.Wait()

	series := func() map[string]float64 { return processedByEvent(t, srv.URL) }
	eventually(t, 60*time.Second, "500 deliveries processed", func() bool {
		sum := 0.0
		for _, v := range series() {
			sum += v
		}
		return sum == 500
	})
	got := series()
	allowed := map[string]bool{"other": true}
	for _, e := range github.MessageTypes() {
		allowed[e] = true
	}
	for label := range got {
		if !allowed[label] {
			t.Errorf("event label %q is neither a known event name nor other", label)
		}
	}
	if len(got) != len(known)+1 {
		t.Errorf("%d event label values %v, want %d (the known names sent, and other)", len(got), got, len(known)+1)
	}
	if got["other"] != 497 {
		t.Errorf(`event="other" counted %v, want 497`, got["other"])
	}
	for _, k := range known {
		if got[k] != 1 {
			t.Errorf("event=%q counted %v, want 1", k, got[k])
		}
	}
}

// processedByEvent sums switchboard_deliveries_processed_total by its event
// label, over every status.
func processedByEvent(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	const name = "switchboard_deliveries_processed_total{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		labels, value, _ := strings.Cut(line[len(name):], "} ")
		event := ""
		for _, l := range strings.Split(labels, ",") {
			if v, ok := strings.CutPrefix(l, "event="); ok {
				event = strings.Trim(v, `"`)
			}
		}
		var f float64
		if _, err := fmt.Sscan(value, &f); err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[event] += f
	}
	return out
}
