package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/internal/fakeslack"
)

// sourcesConfig: a Stripe source (two secrets, rotating) whose failed
// payments are posted to Slack with the customer; a Slack source whose
// mentions of the app asking to deploy trigger a Jenkins build.
const sourcesConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s, admin_token: "${SWITCHBOARD_ADMIN_TOKEN}"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "$TMP/switchboard.db"}
retry: {max_attempts: 3, initial_backoff: 50ms, max_backoff: 200ms}
jenkins:
  main: {url: "${JENKINS_URL}", user: switchboard, token: "${JENKINS_TOKEN}"}
slack:
  main: {token: "${SLACK_TOKEN}", api_url: "${SLACK_API}"}
sources:
  stripe:
    billing: {signing_secret: ["${STRIPE_OLD_SECRET}", "${STRIPE_SECRET}"]}
  slack:
    ops: {signing_secret: "${SLACK_SIGNING_SECRET}"}
rules:
  - name: payment-failed
    on: [stripe.invoice.payment_failed]
    if: {expr: 'payload.data.object.amount_due > 0'}
    do:
      - slack:
          channel: "#billing"
          text: "{{ .Source }}: payment failed for {{ .Payload.data.object.customer_name }} ({{ .Payload.data.object.customer }}), {{ .Payload.data.object.amount_due }} {{ .Payload.data.object.currency }}"
  - name: deploy-on-mention
    on: [slack.app_mention]
    if: {expr: 'payload.event.text contains "deploy"'}
    do:
      - jenkins:
          job: "acme/deploy"
          parameters:
            CHANNEL: "{{ .Payload.event.channel }}"
            REQUESTED_BY: "{{ .Payload.event.user }}"
            SWITCHBOARD_DELIVERY: "{{ .Delivery }}"
`

const (
	stripeSecret    = "whsec_e2e_0123456789abcdef"
	stripeOldSecret = "whsec_e2e_old_fedcba9876543210"
	slackSigning    = "e2e-slack-signing-secret-8f7422"
)

func sourcePayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sources", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hmacHex(secret, message string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}

// postSigned posts body to url with headers and returns the answer.
func postSigned(t *testing.T, url string, body []byte, headers map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b)}
}

// deliveryDetail reads GET /api/v1/deliveries/{id}.
func deliveryDetail(t *testing.T, base, id string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/deliveries/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A signed Stripe invoice.payment_failed posts the customer to Slack; a
// signed Slack app_mention asking to deploy triggers a Jenkins build; both
// are in the delivery history with the rule that matched and its action;
// repeats and Slack retries run nothing again.
func TestStripeAndSlackSourcesEndToEnd(t *testing.T) {
	jenkins := fakejenkins.New(fakejenkins.Options{
		User: "switchboard", Token: "jenkins-api-token",
		Jobs: map[string]fakejenkins.Job{"acme/deploy": {Parameters: []string{"CHANNEL", "REQUESTED_BY", "SWITCHBOARD_DELIVERY"}}},
	})
	defer jenkins.Close()
	slack := fakeslack.New(fakeslack.Options{Token: "xoxb-e2e-token"})
	defer slack.Close()
	srv := startServer(t, sourcesConfig, map[string]string{
		"SWITCHBOARD_ADMIN_TOKEN": adminToken,
		"JENKINS_URL":             jenkins.URL(), "JENKINS_TOKEN": "jenkins-api-token",
		"SLACK_TOKEN": "xoxb-e2e-token", "SLACK_API": slack.APIURL(),
		"STRIPE_SECRET": stripeSecret, "STRIPE_OLD_SECRET": stripeOldSecret,
		"SLACK_SIGNING_SECRET": slackSigning,
	})

	// Stripe: signed with the newer of the two secrets, as during a roll.
	invoice := sourcePayload(t, "stripe_invoice_payment_failed.json")
	now := time.Now().Unix()
	stripeSig := fmt.Sprintf("t=%d,v1=%s", now, hmacHex(stripeSecret, fmt.Sprintf("%d.%s", now, invoice)))
	a := postSigned(t, srv.URL+"/webhooks/stripe/billing", invoice, map[string]string{"Stripe-Signature": stripeSig})
	const stripeID = "stripe:billing:evt_1PqLmN2eZvKYlo2CxWbJ7Yq4"
	if a.status != http.StatusAccepted || a.body != `{"delivery":"`+stripeID+`","status":"queued"}` {
		t.Fatalf("stripe: %d %s", a.status, a.body)
	}

	// Slack: the URL check first, then a mention.
	verification := sourcePayload(t, "slack_url_verification.json")
	slackHeaders := func(body []byte) map[string]string {
		ts := fmt.Sprint(time.Now().Unix())
		return map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + hmacHex(slackSigning, "v0:"+ts+":"+string(body))}
	}
	a = postSigned(t, srv.URL+"/webhooks/slack/ops", verification, slackHeaders(verification))
	if a.status != http.StatusOK || a.body != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
		t.Fatalf("url_verification: %d %s", a.status, a.body)
	}
	mention := sourcePayload(t, "slack_app_mention.json")
	const slackID = "slack:ops:Ev123ABC456"
	a = postSigned(t, srv.URL+"/webhooks/slack/ops", mention, slackHeaders(mention))
	if a.status != http.StatusOK || a.body != `{"delivery":"`+slackID+`","status":"queued"}` {
		t.Fatalf("app_mention: %d %s", a.status, a.body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := slack.Wait(ctx, func() bool { return len(slack.Messages()) >= 1 }); err != nil {
		t.Fatalf("no Slack message: %v", err)
	}
	if err := jenkins.Wait(ctx, func() bool { return len(jenkins.Triggers()) >= 1 }); err != nil {
		t.Fatalf("no Jenkins build: %v", err)
	}
	msgs := slack.Messages()
	if len(msgs) != 1 || msgs[0].Channel != "#billing" ||
		msgs[0].Text != "stripe: payment failed for Jenny Rosen (cus_NffrFeUfNV2Hib), 2000 usd" {
		t.Fatalf("slack messages: %+v", msgs)
	}
	trig := jenkins.Triggers()
	if len(trig) != 1 || trig[0].Job != "acme/deploy" || trig[0].Parameters["CHANNEL"] != "C123ABC456" ||
		trig[0].Parameters["REQUESTED_BY"] != "U123ABC456" || trig[0].Parameters["SWITCHBOARD_DELIVERY"] != slackID {
		t.Fatalf("jenkins triggers: %+v", trig)
	}

	// Both in the delivery history, with the rule that matched and its
	// action done.
	for _, tc := range []struct{ id, event, rule, kind string }{
		{stripeID, "stripe.invoice.payment_failed", "payment-failed", "slack"},
		{slackID, "slack.app_mention", "deploy-on-mention", "jenkins"},
	} {
		var d map[string]any
		eventually(t, 60*time.Second, tc.id+" to succeed", func() bool {
			d = deliveryDetail(t, srv.URL, tc.id)
			return d != nil && d["status"] == "succeeded"
		})
		if d["event"] != tc.event {
			t.Errorf("%s: event %v", tc.id, d["event"])
		}
		matched := false
		for _, r := range d["rules"].([]any) {
			r := r.(map[string]any)
			matched = matched || (r["name"] == tc.rule && r["matched"] == true)
		}
		acts := d["actions"].([]any)
		if !matched || len(acts) != 1 || acts[0].(map[string]any)["kind"] != tc.kind || acts[0].(map[string]any)["state"] != "succeeded" {
			t.Errorf("%s: rules %v actions %v", tc.id, d["rules"], d["actions"])
		}
	}

	// A repeat of the Stripe event and a Slack retry are duplicates.
	a = postSigned(t, srv.URL+"/webhooks/stripe/billing", invoice, map[string]string{"Stripe-Signature": stripeSig})
	if a.status != http.StatusOK || a.body != `{"delivery":"`+stripeID+`","status":"duplicate"}` {
		t.Fatalf("stripe repeat: %d %s", a.status, a.body)
	}
	h := slackHeaders(mention)
	h["X-Slack-Retry-Num"], h["X-Slack-Retry-Reason"] = "1", "http_timeout"
	a = postSigned(t, srv.URL+"/webhooks/slack/ops", mention, h)
	if a.status != http.StatusOK || a.body != `{"delivery":"`+slackID+`","status":"duplicate"}` {
		t.Fatalf("slack retry: %d %s", a.status, a.body)
	}
	if n := metric(t, srv.URL, "switchboard_source_requests_total", map[string]string{"source": "slack", "status": "200"}); n != 3 {
		t.Errorf("slack 200s counted: %v, want 3", n)
	}
	for _, src := range []string{"stripe", "slack"} {
		if n := metric(t, srv.URL, "switchboard_deliveries_processed_total", map[string]string{"event": src, "status": "processed"}); n != 1 {
			t.Errorf("%s deliveries processed: %v, want 1", src, n)
		}
	}
	if len(slack.Messages()) != 1 || len(jenkins.Triggers()) != 1 {
		t.Fatalf("repeats ran actions again: %d messages, %d builds", len(slack.Messages()), len(jenkins.Triggers()))
	}

	// A replay runs the Stripe rule again, through the same history.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/deliveries/"+stripeID+"/replay", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Delivery string `json:"delivery"`
		ReplayOf string `json:"replay_of"`
	}
	err = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if err != nil || resp.StatusCode/100 != 2 || rep.ReplayOf != stripeID {
		t.Fatalf("replay: %d %+v %v", resp.StatusCode, rep, err)
	}
	if err := slack.Wait(ctx, func() bool { return len(slack.Messages()) >= 2 }); err != nil {
		t.Fatalf("replay posted nothing: %v", err)
	}
	if m := slack.Messages()[1]; m.Text != msgs[0].Text {
		t.Fatalf("replay posted %q", m.Text)
	}
	eventually(t, 60*time.Second, "the replay to succeed", func() bool {
		d := deliveryDetail(t, srv.URL, rep.Delivery)
		return d != nil && d["status"] == "succeeded" && d["event"] == "stripe.invoice.payment_failed"
	})
}
