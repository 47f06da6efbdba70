package config

import (
	"strings"
	"testing"
	"time"
)

const sourcesBase = "github: {webhook_secret: s}\n"

func TestSourcesKeys(t *testing.T) {
	cfg, err := loadText(t, sourcesBase+`sources:
  stripe:
    billing: {signing_secret: [whsec_old, whsec_new], tolerance: 2m}
  slack:
    ops: {signing_secret: slack-signing}
rules:
  - name: failed
    on: [stripe.invoice.payment_failed, slack.app_mention]
    do: [{log: {message: x}}]
`, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Sources.Named(SourceStripe, "billing")
	if b == nil || strings.Join(b.Secrets(), ",") != "whsec_old,whsec_new" || b.Tolerance.Std() != 2*time.Minute {
		t.Fatalf("stripe billing = %+v", b)
	}
	o := cfg.Sources.Named(SourceSlack, "ops")
	if o == nil || strings.Join(o.Secrets(), ",") != "slack-signing" || o.Tolerance != DefaultSourceTolerance {
		t.Fatalf("slack ops = %+v", o)
	}
	if cfg.Sources.Named(SourceSlack, "billing") != nil || cfg.Sources.Named("paypal", "billing") != nil {
		t.Fatal("Named found a source that is not configured")
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Fatalf("warnings for known event types: %q", w)
	}
	for _, s := range cfg.SecretValues() {
		if s == "slack-signing" {
			return
		}
	}
	t.Fatal("SecretValues leaves out the signing secrets")
}

func TestSourcesErrors(t *testing.T) {
	tests := map[string]struct{ text, want string }{
		"no signing secret": {
			"sources: {stripe: {billing: {tolerance: 1m}}}\n",
			"sources.stripe.billing.signing_secret: is required: requests are accepted only when signed with it",
		},
		"empty signing secret": {
			"sources: {slack: {ops: {signing_secret: [a, \"\"]}}}\n",
			"sources.slack.ops.signing_secret[1]: must not be empty: an empty key is known to anyone",
		},
		"zero tolerance": {
			"sources: {stripe: {billing: {signing_secret: a, tolerance: 0}}}\n",
			"sources.stripe.billing.tolerance: must be greater than 0 (the default is 5m0s)",
		},
		"name with a slash": {
			"sources: {stripe: {\"a/b\": {signing_secret: a}}}\n",
			`the name "a/b" goes into the path /webhooks/stripe/NAME: use letters, digits, - and _ only`,
		},
		"unknown kind": {
			"sources: {paypal: {x: {signing_secret: a}}}\n",
			"sources.paypal",
		},
		"empty stripe type": {
			"rules: [{name: a, on: [stripe.], do: [{log: {message: x}}]}]\n",
			`"stripe.": after stripe. comes the stripe event type, such as stripe.invoice.payment_failed`,
		},
		"uppercase slack type": {
			"rules: [{name: a, on: [slack.AppMention], do: [{log: {message: x}}]}]\n",
			`"slack.AppMention": after slack. comes the slack event type, such as slack.app_mention`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := loadText(t, sourcesBase+tc.text, map[string]string{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A source event type validate does not know is kept (Stripe adds types),
// with a warning naming the closest known one.
func TestSourceEventWarnings(t *testing.T) {
	cfg, err := loadText(t, sourcesBase+`rules:
  - name: a
    on: [stripe.invoice.payment_faild, push, slack.app_mentoin, stripe.issuing_card.created]
    do: [{log: {message: x}}]
`, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Warnings()
	want := []string{
		`rules[0].on[0]: warning: "stripe.invoice.payment_faild" is not a stripe event type Switchboard knows (did you mean "stripe.invoice.payment_failed"?); the rule will match only if stripe sends that type`,
		`rules[0].on[2]: warning: "slack.app_mentoin" is not a slack event type Switchboard knows (did you mean "slack.app_mention"?); the rule will match only if slack sends that type`,
		`rules[0].on[3]: warning: "stripe.issuing_card.created" is not a stripe event type Switchboard knows; the rule will match only if stripe sends that type`,
	}
	if len(got) != len(want) {
		t.Fatalf("warnings %q", got)
	}
	for i := range want {
		if !strings.HasSuffix(got[i], want[i]) || !strings.Contains(got[i], ":4:") {
			t.Errorf("warning %d = %q, want it placed on line 4 and ending %q", i, got[i], want[i])
		}
	}
}

func TestSplitOn(t *testing.T) {
	for on, want := range map[string][2]string{
		"push":                          {"push", ""},
		"pull_request.opened":           {"pull_request", "opened"},
		"stripe.invoice.payment_failed": {"stripe.invoice.payment_failed", ""},
		"slack.app_mention":             {"slack.app_mention", ""},
	} {
		if e, a := SplitOn(on); e != want[0] || a != want[1] {
			t.Errorf("SplitOn(%q) = %q, %q", on, e, a)
		}
	}
}
