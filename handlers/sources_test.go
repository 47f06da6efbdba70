package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/budget"
)

// Source secrets of the tests: Stripe's endpoint secrets look like
// whsec_...; the Slack one is from Slack's documentation.
const (
	stripeSecret        = "whsec_test_3a7b0c1d2e3f40516273849a"
	stripeRotatedSecret = "whsec_test_rotated_9f8e7d6c5b4a3928"
	slackDocsSecret     = "8f742231b10e8888abcd99yyyzzz85a5"
)

// sourcesServer is a test server with a Stripe source "billing" (two
// secrets: rotation) and a Slack source "ops" (Slack's docs' secret), whose
// clock stands at now.
func sourcesServer(t *testing.T, now time.Time) *testServer {
	t.Helper()
	return newTestServer(t, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.Sources = func(kind, name string) ([]string, time.Duration, bool) {
			switch {
			case kind == SourceStripe && name == "billing":
				return []string{stripeSecret, stripeRotatedSecret}, 5 * time.Minute, true
			case kind == SourceSlack && name == "ops":
				return []string{slackDocsSecret}, 5 * time.Minute, true
			}
			return nil, 0, false
		}
	})
}

// hexHMAC computes the HMAC-SHA256 of message under secret, in hex: the
// test's own reckoning of the documented schemes, independent of the code.
func hexHMAC(secret, message string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}

// stripeHeader is Stripe-Signature as Stripe documents it
// (https://docs.stripe.com/webhooks#verify-manually): t=<unix time> and a v1
// per secret, each the hex HMAC-SHA256 of "<t>.<raw body>".
func stripeHeader(t int64, body string, secrets ...string) string {
	parts := []string{fmt.Sprintf("t=%d", t)}
	for _, s := range secrets {
		parts = append(parts, "v1="+hexHMAC(s, fmt.Sprintf("%d.%s", t, body)))
	}
	return strings.Join(parts, ",")
}

// slackHeaders are X-Slack-Request-Timestamp and X-Slack-Signature as Slack
// documents them: v0= and the hex HMAC-SHA256 of "v0:<timestamp>:<body>".
func slackHeaders(t int64, body, secret string) map[string]string {
	return map[string]string{
		"X-Slack-Request-Timestamp": fmt.Sprint(t),
		"X-Slack-Signature":         "v0=" + hexHMAC(secret, fmt.Sprintf("v0:%d:%s", t, body)),
	}
}

func readSource(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sources", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// post sends body to path with headers.
func (ts *testServer) post(t *testing.T, method, path, body string, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader([]byte(body)))
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
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestStripeSource(t *testing.T) {
	now := testNow.Unix()
	invoice := readSource(t, "stripe_invoice_payment_failed.json")
	const unauthorized = `{"error":"signature missing, malformed, expired or wrong"}`
	tests := map[string]struct {
		method, path, body, sig string
		wantStatus              int
		wantBody                string
		wantStored              bool
	}{
		"signed with the first secret": {
			body: invoice, sig: stripeHeader(now, invoice, stripeSecret),
			wantStatus: 202, wantBody: `{"delivery":"stripe:billing:evt_1PqLmN2eZvKYlo2CxWbJ7Yq4","status":"queued"}`, wantStored: true,
		},
		"rotation: signed with the second secret": {
			body: invoice, sig: stripeHeader(now, invoice, stripeRotatedSecret),
			wantStatus: 202, wantStored: true,
		},
		"several v1, the second matches": {
			body: invoice, sig: stripeHeader(now, invoice, "whsec_old_rolled_away", stripeSecret),
			wantStatus: 202, wantStored: true,
		},
		"the object after 100 spaces": {
			body: strings.Repeat(" ", 100) + invoice, sig: stripeHeader(now, strings.Repeat(" ", 100)+invoice, stripeSecret),
			wantStatus: 202, wantStored: true,
		},
		"a JSON array": {
			body: `[{"id":"evt_1","type":"invoice.paid"}]`, sig: stripeHeader(now, `[{"id":"evt_1","type":"invoice.paid"}]`, stripeSecret),
			wantStatus: 400, wantBody: `{"error":"body is not a JSON object"}`,
		},
		"v0 test scheme besides v1 is ignored": {
			body: invoice, sig: stripeHeader(now, invoice, stripeSecret) + ",v0=" + hexHMAC("x", "y"),
			wantStatus: 202, wantStored: true,
		},
		"timestamp six minutes old": {
			body: invoice, sig: stripeHeader(now-360, invoice, stripeSecret),
			wantStatus: 401, wantBody: unauthorized,
		},
		"timestamp six minutes ahead": {
			body: invoice, sig: stripeHeader(now+360, invoice, stripeSecret),
			wantStatus: 401, wantBody: unauthorized,
		},
		"timestamp four minutes old is within tolerance": {
			body: invoice, sig: stripeHeader(now-240, invoice, stripeSecret),
			wantStatus: 202, wantStored: true,
		},
		"wrong secret": {
			body: invoice, sig: stripeHeader(now, invoice, "whsec_someone_else"),
			wantStatus: 401, wantBody: unauthorized,
		},
		"signature of another timestamp": {
			body: invoice, sig: fmt.Sprintf("t=%d,v1=%s", now, hexHMAC(stripeSecret, fmt.Sprintf("%d.%s", now-1, invoice))),
			wantStatus: 401, wantBody: unauthorized,
		},
		"body changed after signing": {
			body: strings.Replace(invoice, "2000", "1", 1), sig: stripeHeader(now, invoice, stripeSecret),
			wantStatus: 401, wantBody: unauthorized,
		},
		"no header":           {body: invoice, wantStatus: 401, wantBody: unauthorized},
		"no t":                {body: invoice, sig: "v1=" + hexHMAC(stripeSecret, invoice), wantStatus: 401, wantBody: unauthorized},
		"no v1":               {body: invoice, sig: fmt.Sprintf("t=%d", now), wantStatus: 401, wantBody: unauthorized},
		"v1 not hex":          {body: invoice, sig: fmt.Sprintf("t=%d,v1=%s", now, strings.Repeat("z", 64)), wantStatus: 401, wantBody: unauthorized},
		"t not a number":      {body: invoice, sig: "t=soon,v1=" + hexHMAC(stripeSecret, invoice), wantStatus: 401, wantBody: unauthorized},
		"not JSON":            {body: "id=evt_1", sig: stripeHeader(now, "id=evt_1", stripeSecret), wantStatus: 400, wantBody: `{"error":"body is not a JSON object"}`},
		"JSON array":          {body: `[{"id":"evt_1"}]`, sig: stripeHeader(now, `[{"id":"evt_1"}]`, stripeSecret), wantStatus: 400, wantBody: `{"error":"body is not a JSON object"}`},
		"no id":               {body: `{"type":"invoice.paid"}`, sig: stripeHeader(now, `{"type":"invoice.paid"}`, stripeSecret), wantStatus: 400, wantBody: `{"error":"id missing or not a string"}`},
		"no type":             {body: `{"id":"evt_1"}`, sig: stripeHeader(now, `{"id":"evt_1"}`, stripeSecret), wantStatus: 400, wantBody: `{"error":"type missing or not a string"}`},
		"id a number":         {body: `{"id":7,"type":"invoice.paid"}`, sig: stripeHeader(now, `{"id":7,"type":"invoice.paid"}`, stripeSecret), wantStatus: 400, wantBody: `{"error":"id missing or not a string"}`},
		"type with a space":   {body: `{"id":"evt_1","type":"invoice paid"}`, sig: stripeHeader(now, `{"id":"evt_1","type":"invoice paid"}`, stripeSecret), wantStatus: 400, wantBody: `{"error":"type invalid"}`},
		"unknown source":      {path: "/webhooks/stripe/other", body: invoice, sig: stripeHeader(now, invoice, stripeSecret), wantStatus: 404, wantBody: `{"error":"not found"}`},
		"unknown kind":        {path: "/webhooks/paypal/billing", body: invoice, sig: stripeHeader(now, invoice, stripeSecret), wantStatus: 404, wantBody: `{"error":"not found"}`},
		"GET":                 {method: http.MethodGet, wantStatus: 405, wantBody: `{"error":"method not allowed"}`},
		"slack-signed Stripe": {body: invoice, sig: "", wantStatus: 401, wantBody: unauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := sourcesServer(t, testNow)
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/webhooks/stripe/billing"
			}
			headers := map[string]string{}
			if tc.sig != "" {
				headers["Stripe-Signature"] = tc.sig
			}
			if name == "slack-signed Stripe" {
				headers = slackHeaders(now, invoice, stripeSecret)
			}
			got := ts.post(t, method, path, tc.body, headers)
			if got.status != tc.wantStatus || (tc.wantBody != "" && got.body != tc.wantBody) {
				t.Fatalf("got %d %s, want %d %s", got.status, got.body, tc.wantStatus, tc.wantBody)
			}
			d, stored := ts.store.get("stripe:billing:evt_1PqLmN2eZvKYlo2CxWbJ7Yq4")
			if stored != tc.wantStored || ts.store.count() != map[bool]int{true: 1}[tc.wantStored] {
				t.Fatalf("stored = %v (%d deliveries), want %v", stored, ts.store.count(), tc.wantStored)
			}
			if stored && (d.Event != "stripe.invoice.payment_failed" || string(d.Payload) != tc.body || !d.ReceivedAt.Equal(testNow)) {
				t.Fatalf("stored %q with payload of %d bytes at %v", d.Event, len(d.Payload), d.ReceivedAt)
			}
		})
	}
}

// The Stripe event ID is the idempotency key: a repeat stores nothing and
// answers 200 duplicate.
func TestStripeSourceDuplicate(t *testing.T) {
	ts := sourcesServer(t, testNow)
	invoice := readSource(t, "stripe_invoice_payment_failed.json")
	h := map[string]string{"Stripe-Signature": stripeHeader(testNow.Unix(), invoice, stripeSecret)}
	if got := ts.post(t, http.MethodPost, "/webhooks/stripe/billing", invoice, h); got.status != 202 {
		t.Fatalf("first: %d %s", got.status, got.body)
	}
	got := ts.post(t, http.MethodPost, "/webhooks/stripe/billing", invoice, h)
	if got.status != 200 || got.body != `{"delivery":"stripe:billing:evt_1PqLmN2eZvKYlo2CxWbJ7Yq4","status":"duplicate"}` {
		t.Fatalf("repeat: %d %s", got.status, got.body)
	}
	if ts.store.count() != 1 {
		t.Fatalf("%d stored, want 1", ts.store.count())
	}
	for _, e := range ts.logs.AllEntries() {
		if s, err := e.String(); err == nil && (strings.Contains(s, stripeSecret) || strings.Contains(s, h["Stripe-Signature"])) {
			t.Fatalf("log line shows a secret or signature: %s", s)
		}
	}
}

// Slack's documentation gives a worked example: this secret, timestamp and
// (slash command) body sign to this signature. The signature is checked
// before the body is decoded, so the docs' form body gets past it and is
// refused only as not JSON (400, not 401); one character off is 401.
func TestSlackSignatureDocsVector(t *testing.T) {
	const (
		docsTimestamp = 1531420618
		docsBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		docsSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", fmt.Sprint(docsTimestamp))
	h.Set("X-Slack-Signature", docsSignature)
	sig, reason := slackSignature(h)
	if reason != "" {
		t.Fatalf("docs header refused: %s", reason)
	}
	if !sig.matches(slackSignedPrefix(docsTimestamp), []byte(docsBody), []string{slackDocsSecret}) {
		t.Fatal("the docs' example does not verify")
	}
	if sig.matches(slackSignedPrefix(docsTimestamp), []byte(docsBody+"x"), []string{slackDocsSecret}) {
		t.Fatal("a changed body verifies")
	}

	ts := sourcesServer(t, time.Unix(docsTimestamp+30, 0))
	headers := map[string]string{"X-Slack-Request-Timestamp": fmt.Sprint(docsTimestamp), "X-Slack-Signature": docsSignature}
	got := ts.post(t, http.MethodPost, "/webhooks/slack/ops", docsBody, headers)
	if got.status != 400 || got.body != `{"error":"body is not a JSON object"}` {
		t.Fatalf("docs vector over HTTP: %d %s", got.status, got.body)
	}
	headers["X-Slack-Signature"] = docsSignature[:len(docsSignature)-1] + "4"
	if got := ts.post(t, http.MethodPost, "/webhooks/slack/ops", docsBody, headers); got.status != 401 {
		t.Fatalf("wrong signature: %d %s", got.status, got.body)
	}
}

func TestSlackSource(t *testing.T) {
	now := testNow.Unix()
	mention := readSource(t, "slack_app_mention.json")
	verification := readSource(t, "slack_url_verification.json")
	const unauthorized = `{"error":"signature missing, malformed, expired or wrong"}`
	tests := map[string]struct {
		body       string
		headers    map[string]string
		wantStatus int
		wantBody   string
		wantStored bool
	}{
		"app_mention": {body: mention, headers: slackHeaders(now, mention, slackDocsSecret),
			wantStatus: 200, wantBody: `{"delivery":"slack:ops:Ev123ABC456","status":"queued"}`, wantStored: true},
		"url_verification answered with its challenge": {body: verification, headers: slackHeaders(now, verification, slackDocsSecret),
			wantStatus: 200, wantBody: `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`},
		"url_verification unsigned": {body: verification, wantStatus: 401, wantBody: unauthorized},
		"url_verification wrong secret": {body: verification, headers: slackHeaders(now, verification, "not-the-secret"),
			wantStatus: 401, wantBody: unauthorized},
		"six minutes old":        {body: mention, headers: slackHeaders(now-360, mention, slackDocsSecret), wantStatus: 401, wantBody: unauthorized},
		"six minutes ahead":      {body: mention, headers: slackHeaders(now+360, mention, slackDocsSecret), wantStatus: 401, wantBody: unauthorized},
		"wrong secret":           {body: mention, headers: slackHeaders(now, mention, stripeSecret), wantStatus: 401, wantBody: unauthorized},
		"no timestamp":           {body: mention, headers: map[string]string{"X-Slack-Signature": slackHeaders(now, mention, slackDocsSecret)["X-Slack-Signature"]}, wantStatus: 401, wantBody: unauthorized},
		"v1 instead of v0":       {body: mention, headers: map[string]string{"X-Slack-Request-Timestamp": fmt.Sprint(now), "X-Slack-Signature": "v1=" + hexHMAC(slackDocsSecret, "v0:"+fmt.Sprint(now)+":"+mention)}, wantStatus: 401, wantBody: unauthorized},
		"no event_id":            {body: `{"type":"event_callback","event":{"type":"app_mention"}}`, headers: slackHeaders(now, `{"type":"event_callback","event":{"type":"app_mention"}}`, slackDocsSecret), wantStatus: 400, wantBody: `{"error":"event_id missing or not a string"}`},
		"no event type":          {body: `{"type":"event_callback","event_id":"Ev1","event":{}}`, headers: slackHeaders(now, `{"type":"event_callback","event_id":"Ev1","event":{}}`, slackDocsSecret), wantStatus: 400, wantBody: `{"error":"event.type missing or not a string"}`},
		"unknown request type":   {body: `{"type":"block_actions"}`, headers: slackHeaders(now, `{"type":"block_actions"}`, slackDocsSecret), wantStatus: 400, wantBody: `{"error":"type must be url_verification or event_callback"}`},
		"challenge not a string": {body: `{"type":"url_verification","challenge":1}`, headers: slackHeaders(now, `{"type":"url_verification","challenge":1}`, slackDocsSecret), wantStatus: 400, wantBody: `{"error":"body has fields of the wrong type"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := sourcesServer(t, testNow)
			got := ts.post(t, http.MethodPost, "/webhooks/slack/ops", tc.body, tc.headers)
			if got.status != tc.wantStatus || got.body != tc.wantBody {
				t.Fatalf("got %d %s, want %d %s", got.status, got.body, tc.wantStatus, tc.wantBody)
			}
			d, stored := ts.store.get("slack:ops:Ev123ABC456")
			if stored != tc.wantStored || ts.store.count() != map[bool]int{true: 1}[tc.wantStored] {
				t.Fatalf("stored = %v (%d deliveries), want %v", stored, ts.store.count(), tc.wantStored)
			}
			if stored && d.Event != "slack.app_mention" {
				t.Fatalf("stored as %q", d.Event)
			}
		})
	}
}

// Slack retries a request it got no 200 for, with X-Slack-Retry-Num: a retry
// of a stored event is a duplicate, answered 200; a retry of one that was
// never stored (the first attempt failed) is stored.
func TestSlackSourceRetries(t *testing.T) {
	ts := sourcesServer(t, testNow)
	mention := readSource(t, "slack_app_mention.json")
	h := slackHeaders(testNow.Unix(), mention, slackDocsSecret)
	ts.store.fail(errStoreDown)
	if got := ts.post(t, http.MethodPost, "/webhooks/slack/ops", mention, h); got.status != 503 || got.body != `{"error":"store unavailable"}` {
		t.Fatalf("store down: %d %s", got.status, got.body)
	}
	ts.store.fail(nil)
	h["X-Slack-Retry-Num"], h["X-Slack-Retry-Reason"] = "1", "http_error"
	if got := ts.post(t, http.MethodPost, "/webhooks/slack/ops", mention, h); got.status != 200 || got.body != `{"delivery":"slack:ops:Ev123ABC456","status":"queued"}` {
		t.Fatalf("first retry: %d %s", got.status, got.body)
	}
	h["X-Slack-Retry-Num"] = "2"
	if got := ts.post(t, http.MethodPost, "/webhooks/slack/ops", mention, h); got.status != 200 || got.body != `{"delivery":"slack:ops:Ev123ABC456","status":"duplicate"}` {
		t.Fatalf("second retry: %d %s", got.status, got.body)
	}
	if ts.store.count() != 1 {
		t.Fatalf("%d stored, want 1", ts.store.count())
	}
}

// With no sources configured, their paths do not exist.
func TestSourcesClosedByDefault(t *testing.T) {
	ts := newTestServer(t, nil)
	invoice := readSource(t, "stripe_invoice_payment_failed.json")
	got := ts.post(t, http.MethodPost, "/webhooks/stripe/billing", invoice,
		map[string]string{"Stripe-Signature": stripeHeader(testNow.Unix(), invoice, stripeSecret)})
	if got.status != 404 || got.body != `{"error":"not found"}` || ts.store.count() != 0 {
		t.Fatalf("got %d %s, %d stored", got.status, got.body, ts.store.count())
	}
}

// Hostile Stripe input: an ID that would flood or forge the log or the
// history, and a signature header sent twice.
func TestStripeSourceHostileInput(t *testing.T) {
	now := testNow.Unix()
	for name, tc := range map[string]struct{ body, want string }{
		"id over 150 bytes":          {`{"id":"evt_` + strings.Repeat("x", 150) + `","type":"invoice.paid"}`, `{"error":"id invalid"}`},
		"id with a newline":          {`{"id":"evt_1\nforged","type":"invoice.paid"}`, `{"error":"id invalid"}`},
		"type over 90":               {`{"id":"evt_1","type":"` + strings.Repeat("a", 91) + `"}`, `{"error":"type invalid"}`},
		"type with a dot at the end": {`{"id":"evt_1","type":"invoice."}`, `{"error":"type invalid"}`},
		"type with a dot first":      {`{"id":"evt_1","type":".invoice"}`, `{"error":"type invalid"}`},
		"type with two dots":         {`{"id":"evt_1","type":"invoice..paid"}`, `{"error":"type invalid"}`},
		"type of dots only":          {`{"id":"evt_1","type":"."}`, `{"error":"type invalid"}`},
	} {
		t.Run(name, func(t *testing.T) {
			ts := sourcesServer(t, testNow)
			got := ts.post(t, http.MethodPost, "/webhooks/stripe/billing", tc.body,
				map[string]string{"Stripe-Signature": stripeHeader(now, tc.body, stripeSecret)})
			if got.status != 400 || got.body != tc.want || ts.store.count() != 0 {
				t.Fatalf("got %d %s (%d stored), want 400 %s", got.status, got.body, ts.store.count(), tc.want)
			}
		})
	}
	t.Run("signature header twice", func(t *testing.T) {
		ts := sourcesServer(t, testNow)
		invoice := readSource(t, "stripe_invoice_payment_failed.json")
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/webhooks/stripe/billing", strings.NewReader(invoice))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Add("Stripe-Signature", stripeHeader(now, invoice, stripeSecret))
		req.Header.Add("Stripe-Signature", stripeHeader(now, invoice, stripeSecret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || ts.store.count() != 0 {
			t.Fatalf("got %d (%d stored), want 401", resp.StatusCode, ts.store.count())
		}
	})
}

// TestSourceBusy: with no room in the budget for bodies in flight, a
// source's request is answered as intake answers one, 503 with
// Retry-After, and nothing is stored.
func TestSourceBusy(t *testing.T) {
	now := testNow
	bodies := budget.New(64<<20, 8<<20, SmallBodyBytes)
	full, err := bodies.Acquire(context.Background(), bodies.General())
	if err != nil {
		t.Fatal(err)
	}
	defer full.Release()
	ts := newTestServer(t, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.Bodies, o.BudgetWait = bodies, 20*time.Millisecond
		o.Sources = func(kind, name string) ([]string, time.Duration, bool) {
			return []string{stripeSecret}, 5 * time.Minute, kind == SourceStripe && name == "billing"
		}
	})
	// Large enough to need the general share: the reserved one is for
	// small bodies.
	invoice := readSource(t, "stripe_invoice_payment_failed.json")
	body := strings.Replace(invoice, "{", `{"pad":"`+strings.Repeat("x", 2*SmallBodyBytes)+`",`, 1)
	got := ts.post(t, http.MethodPost, "/webhooks/stripe/billing", body,
		map[string]string{"Stripe-Signature": stripeHeader(now.Unix(), body, stripeSecret)})
	// (Go's client takes the Connection header for itself; intake's own
	// test, over a recorder, shows it.)
	if got.status != http.StatusServiceUnavailable || got.body != `{"error":"too many request bodies in flight; retry later"}` ||
		got.header.Get("Retry-After") != "2" {
		t.Errorf("answer %d %s, Retry-After %q", got.status, got.body, got.header.Get("Retry-After"))
	}
	if ts.store.count() != 0 {
		t.Errorf("%d deliveries stored", ts.store.count())
	}
}
