package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sourcesCLIConfig = `github: {webhook_secret: s}
slack:
  main: {token: xoxb-cli}
sources:
  stripe:
    billing: {signing_secret: whsec_cli}
rules:
  - name: payment-failed
    on: [stripe.invoice.payment_failed]
    do:
      - slack: {channel: "#billing", text: "{{ .Source }} {{ .Event }}: {{ .Payload.data.object.customer_name }} ({{ .Payload.data.object.customer }})"}
  - name: typo
    on: [stripe.invoice.payment_faild]
    do:
      - log: {message: never}
`

func writeSourcesConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchboard.yml")
	if err := os.WriteFile(path, []byte(sourcesCLIConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// simulate --source stripe renders the Stripe rule offline, from the event
// type as Stripe names it.
func TestSimulateStripeSource(t *testing.T) {
	path := writeSourcesConfig(t)
	payload := filepath.Join("..", "testdata", "sources", "stripe_invoice_payment_failed.json")
	for name, args := range map[string][]string{
		"--source stripe":   {"--source", "stripe", "--event", "invoice.payment_failed"},
		"prefixed event":    {"--event", "stripe.invoice.payment_failed"},
		"source and prefix": {"--source", "stripe", "--event", "stripe.invoice.payment_failed"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "", append([]string{"simulate", "-c", path, "--payload", payload}, args...)...)
			want := `"text":"stripe stripe.invoice.payment_failed: Jenny Rosen (cus_NffrFeUfNV2Hib)"`
			if code != 0 || !strings.Contains(stdout, want) || !strings.Contains(stdout, `"rule":"payment-failed"`) || strings.Count(stdout, "\n") != 1 {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
		})
	}
}

func TestSimulateSourceUsageErrors(t *testing.T) {
	path := writeSourcesConfig(t)
	payload := filepath.Join("..", "testdata", "sources", "stripe_invoice_payment_failed.json")
	tests := map[string]struct {
		args []string
		want string
	}{
		"unknown source": {[]string{"--source", "paypal", "--event", "x"},
			"switchboard simulate: --event unknown source \"paypal\"; one of: github, stripe, slack\n"},
		"bad stripe type": {[]string{"--source", "stripe", "--event", "Invoice Paid"},
			"switchboard simulate: --event \"stripe.Invoice Paid\": after stripe. comes the stripe event type, such as stripe.invoice.payment_failed\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "", append([]string{"simulate", "-c", path, "--payload", payload}, tc.args...)...)
			if code != 2 || stdout != "" || stderr != tc.want {
				t.Fatalf("exit %d stdout %q stderr %q, want exit 2, stderr %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// validate accepts a misspelt source event (Stripe adds types) but warns,
// naming the closest one it knows.
func TestValidateWarnsAboutMisspeltSourceEvent(t *testing.T) {
	path := writeSourcesConfig(t)
	code, stdout, stderr := run(t, nil, "", "validate", "-c", path)
	want := path + `:13:10: rules[1].on[0]: warning: "stripe.invoice.payment_faild" is not a stripe event type Switchboard knows (did you mean "stripe.invoice.payment_failed"?); the rule will match only if stripe sends that type` + "\n"
	if code != 0 || stderr != want || stdout != path+": ok (2 rules)\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant stderr %q", code, stdout, stderr, want)
	}
}

// A source event has no issue or pull request: validate refuses GitHub-only
// actions and fields on it.
func TestValidateRefusesGitHubActionsOnSourceEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.yml")
	cfg := `github: {webhook_secret: s}
rules:
  - name: c
    on: [stripe.invoice.paid]
    do:
      - comment: "paid {{ .Payload.id }}"
      - log: {message: "{{ .PullRequest.Title }}"}
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, nil, "", "validate", "-c", path)
	want := path + ":6:9: rules[0].do[0]: rule c: action 0 (comment): stripe.invoice.paid events have no issue or pull request to comment on\n" +
		path + ":7:24: rules[0].do[1].log.message: rule c: action 1 (log): .PullRequest.Title: stripe.invoice.paid events have no pull request\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant %q", code, stdout, stderr, want)
	}
}
