package config

import (
	"fmt"
	"strings"
	"time"
)

// Sources configures the webhook sources besides GitHub: each named source
// of a kind receives signed requests at /webhooks/<kind>/<name>.
type Sources struct {
	Stripe map[string]*SignedSource `yaml:"stripe"`
	Slack  map[string]*SignedSource `yaml:"slack"`
}

// SignedSource is one named Stripe or Slack endpoint.
type SignedSource struct {
	// SigningSecret verifies the requests (Stripe's endpoint secret whsec_...,
	// Slack's app signing secret); several while rotating, any may match.
	SigningSecret SecretList `yaml:"signing_secret"`
	// Tolerance is how far a request's timestamp may be from now.
	Tolerance Duration `yaml:"tolerance"` // default 5m
}

// DefaultSourceTolerance is the default tolerance of a source's request
// timestamps: Stripe's libraries and Slack's documentation use 5 minutes.
const DefaultSourceTolerance = Duration(5 * time.Minute)

// Source kinds: the first part of a source event name (stripe.invoice.paid)
// and of the intake path (/webhooks/stripe/NAME).
const (
	SourceGitHub = "github"
	SourceStripe = "stripe"
	SourceSlack  = "slack"
)

// SourceKinds returns the kinds of signed source besides GitHub.
func SourceKinds() []string { return []string{SourceStripe, SourceSlack} }

// SourceOf returns the source of an event name: "stripe" for
// stripe.invoice.paid, "slack" for slack.app_mention, else "github" (GitHub's
// event names hold no dot).
func SourceOf(event string) string {
	for _, k := range SourceKinds() {
		if strings.HasPrefix(event, k+".") {
			return k
		}
	}
	return SourceGitHub
}

// SplitOn splits an entry of on: into the event name and the action it
// requires ("" for any): pull_request.opened is pull_request and opened; a
// source event (stripe.invoice.paid) is one name, since the source's own
// types hold dots and carry no action.
func SplitOn(on string) (event, action string) {
	if SourceOf(on) != SourceGitHub {
		return on, ""
	}
	event, action, _ = strings.Cut(on, ".")
	return event, action
}

// Named returns the source of kind named name, or nil.
func (s *Sources) Named(kind, name string) *SignedSource {
	var m map[string]*SignedSource
	switch kind {
	case SourceStripe:
		m = s.Stripe
	case SourceSlack:
		m = s.Slack
	}
	return m[name]
}

// Secrets returns the source's signing secrets as strings.
func (s *SignedSource) Secrets() []string {
	out := make([]string, 0, len(s.SigningSecret))
	for _, v := range s.SigningSecret {
		out = append(out, string(v))
	}
	return out
}

// sources applies the default tolerance and checks every named source.
func (v *checker) sources() {
	for _, kind := range SourceKinds() {
		m := v.cfg.Sources.Stripe
		if kind == SourceSlack {
			m = v.cfg.Sources.Slack
		}
		for _, name := range sortedNames(m) {
			key := joinKey("sources."+kind, name)
			s := m[name]
			if s == nil {
				s = &SignedSource{}
				m[name] = s
			}
			if v.unset(key + ".tolerance") {
				s.Tolerance = DefaultSourceTolerance
			}
			if !isSourceName(name) {
				v.errorf(key, "the name %q goes into the path /webhooks/%s/NAME: use letters, digits, - and _ only", name, kind)
			}
			if len(s.SigningSecret) == 0 {
				v.errorf(key+".signing_secret", "is required: requests are accepted only when signed with it")
			}
			for i, sec := range s.SigningSecret {
				if sec == "" {
					v.errorf(v.cfg.ItemKey(key+".signing_secret", i), "must not be empty: an empty key is known to anyone")
				}
			}
			if s.Tolerance <= 0 {
				v.errorf(key+".tolerance", "must be greater than 0 (the default is %s)", time.Duration(DefaultSourceTolerance))
			}
		}
	}
}

// isSourceName reports whether name may stand in a URL path segment as is.
func isSourceName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// sourceEventProblem says what is wrong with a source event name of on:
// (stripe.invoice.paid), or "": the part after the kind must be non-empty
// lowercase letters, digits, _ and dots.
func sourceEventProblem(on string) string {
	kind := SourceOf(on)
	typ := strings.TrimPrefix(on, kind+".")
	ok := typ != "" && !strings.HasPrefix(typ, ".") && !strings.HasSuffix(typ, ".") && !strings.Contains(typ, "..")
	for _, r := range typ {
		ok = ok && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.')
	}
	if !ok {
		return fmt.Sprintf("%q: after %s. comes the %s event type, such as %s", on, kind, kind, sourceExample(kind))
	}
	return ""
}

func sourceExample(kind string) string {
	if kind == SourceSlack {
		return "slack.app_mention"
	}
	return "stripe.invoice.payment_failed"
}
