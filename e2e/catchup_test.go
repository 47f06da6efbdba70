package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

const catchUpConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 5s}
github:
  app_id: 424242
  private_key: "${GITHUB_PRIVATE_KEY}"
  webhook_secret: "${GITHUB_WEBHOOK_SECRET}"
  api_url: "${GITHUB_API}"
  catch_up_interval: 1h
store: {driver: sqlite, dsn: $TMP/switchboard.db}
rules:
  - name: log-pushes
    on: [push]
    do:
      - log: {message: "push {{ .Delivery }}"}
`

// TestCatchUpRedeliversMissedEventAtStart: GitHub's delivery log holds a
// push the server never got (GitHub's attempt failed) and one it answered.
// Once server.Run starts, the catch-up runs on the leader at once: it asks
// GitHub to redeliver the missed push, GitHub does so (the fake posts it to
// the webhook, signed, as GitHub would), and the push is processed; the
// delivered event is left alone. The retention job runs at start too.
func TestCatchUpRedeliversMissedEventAtStart(t *testing.T) {
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: githubAppID, PublicKey: key.PublicKey()})
	defer gh.Close()
	now := time.Now()
	gh.AddDelivery(fakegithub.Delivery{GUID: "missed-push", DeliveredAt: now.Add(-time.Hour), Status: "Invalid HTTP Response: 503", StatusCode: 503, Event: "push"})
	gh.AddDelivery(fakegithub.Delivery{GUID: "answered-push", DeliveredAt: now.Add(-time.Minute), Status: "OK", StatusCode: 202, Event: "push"})

	// GitHub redelivers to the App's webhook URL, known once the server
	// listens.
	body := pushTo(t, "main")
	ready := make(chan struct{})
	var webhook string
	gh.OnRedeliver(func(d fakegithub.Delivery) *fakegithub.Delivery {
		<-ready
		attempt := fakegithub.Delivery{GUID: d.GUID, DeliveredAt: time.Now(), Redelivery: true, Event: d.Event, StatusCode: 0, Status: "timed out"}
		req, err := http.NewRequest(http.MethodPost, webhook, bytes.NewReader(body))
		if err != nil {
			return &attempt
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", d.Event)
		req.Header.Set("X-GitHub-Delivery", d.GUID)
		req.Header.Set("X-Hub-Signature-256", sign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return &attempt
		}
		resp.Body.Close()
		attempt.StatusCode, attempt.Status = resp.StatusCode, resp.Status
		return &attempt
	})

	srv := startServer(t, catchUpConfig, map[string]string{"GITHUB_PRIVATE_KEY": string(key.PEM), "GITHUB_API": gh.URL()})
	webhook = srv.URL + "/webhook"
	close(ready)

	eventually(t, 30*time.Second, "the missed push to be redelivered and processed", func() bool {
		return metric(t, srv.URL, "switchboard_deliveries_processed_total", map[string]string{"event": "push", "status": "processed"}) == 1
	})
	eventually(t, 30*time.Second, "the catch-up pass to end", func() bool {
		return metric(t, srv.URL, "switchboard_catchup_passes_total", map[string]string{"result": "ok"}) == 1
	})
	rs := gh.Redeliveries()
	if len(rs) != 1 || rs[0].GUID != "missed-push" {
		t.Fatalf("redeliveries = %+v, want missed-push once", rs)
	}
	if got := metric(t, srv.URL, "switchboard_catchup_redeliveries_total", map[string]string{"result": "accepted"}); got != 1 {
		t.Errorf("accepted redeliveries metric = %v, want 1", got)
	}
	// The log action is a job of its own, queued by the processing above.
	eventually(t, 30*time.Second, "the redelivered push's log action to run", func() bool {
		for _, e := range srv.Logs.AllEntries() {
			if e.Message == "push missed-push" {
				return true
			}
		}
		return false
	})
	eventually(t, 30*time.Second, "the retention job to run", func() bool {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return err == nil && strings.Contains(string(b), `switchboard_retention_deleted_total{table="deliveries"}`)
	})
}
