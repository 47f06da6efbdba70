package config

import (
	"fmt"
	"strings"
)

// stripeEventTypes are the Stripe event types validate knows, from
// https://docs.stripe.com/api/events/types (the common ones; Stripe has
// more). A type outside the list is accepted with a warning, so a new one
// works before this list learns it.
var stripeEventTypes = []string{
	"account.updated", "balance.available",
	"charge.captured", "charge.dispute.closed", "charge.dispute.created", "charge.dispute.updated",
	"charge.expired", "charge.failed", "charge.pending", "charge.refunded", "charge.succeeded", "charge.updated",
	"checkout.session.async_payment_failed", "checkout.session.async_payment_succeeded",
	"checkout.session.completed", "checkout.session.expired",
	"coupon.created", "coupon.deleted", "coupon.updated",
	"customer.created", "customer.deleted", "customer.updated",
	"customer.subscription.created", "customer.subscription.deleted", "customer.subscription.paused",
	"customer.subscription.resumed", "customer.subscription.trial_will_end", "customer.subscription.updated",
	"invoice.created", "invoice.deleted", "invoice.finalization_failed", "invoice.finalized",
	"invoice.marked_uncollectible", "invoice.paid", "invoice.payment_action_required",
	"invoice.payment_failed", "invoice.payment_succeeded", "invoice.sent", "invoice.upcoming",
	"invoice.updated", "invoice.voided",
	"payment_intent.amount_capturable_updated", "payment_intent.canceled", "payment_intent.created",
	"payment_intent.payment_failed", "payment_intent.processing", "payment_intent.requires_action",
	"payment_intent.succeeded",
	"payment_method.attached", "payment_method.detached", "payment_method.updated",
	"payout.canceled", "payout.created", "payout.failed", "payout.paid",
	"price.created", "price.deleted", "price.updated",
	"product.created", "product.deleted", "product.updated",
	"refund.created", "refund.updated",
	"setup_intent.canceled", "setup_intent.created", "setup_intent.setup_failed", "setup_intent.succeeded",
	"subscription_schedule.canceled", "subscription_schedule.completed", "subscription_schedule.created",
	"subscription_schedule.updated",
}

// slackEventTypes are the Slack Events API event types validate knows, from
// https://api.slack.com/events (the common ones).
var slackEventTypes = []string{
	"app_home_opened", "app_mention", "app_uninstalled",
	"channel_archive", "channel_created", "channel_deleted", "channel_rename", "channel_unarchive",
	"emoji_changed", "file_shared", "link_shared", "member_joined_channel", "member_left_channel",
	"message", "pin_added", "pin_removed", "reaction_added", "reaction_removed",
	"team_join", "tokens_revoked", "user_change",
}

// SourceEventTypes returns the event types validate knows for a source kind
// (without the kind's prefix). The slice is the caller's to keep.
func SourceEventTypes(kind string) []string {
	switch kind {
	case SourceStripe:
		return append([]string(nil), stripeEventTypes...)
	case SourceSlack:
		return append([]string(nil), slackEventTypes...)
	}
	return nil
}

// SourceEventName returns the event name rules use for an event of source
// (github, stripe or slack): typ itself for GitHub, else source.typ
// (stripe.invoice.payment_failed); a typ already prefixed is kept as is.
func SourceEventName(source, typ string) (string, error) {
	switch source {
	case "", SourceGitHub:
		if known, _ := KnownEvent(typ); !known {
			return "", fmt.Errorf("%q is not an event rules can listen to; one of: %s", typ, strings.Join(Events(), ", "))
		}
		return typ, nil
	case SourceStripe, SourceSlack:
		name := typ
		if !strings.HasPrefix(typ, source+".") {
			name = source + "." + typ
		}
		if msg := sourceEventProblem(name); msg != "" {
			return "", fmt.Errorf("%s", msg)
		}
		return name, nil
	}
	return "", fmt.Errorf("unknown source %q; one of: github, %s", source, strings.Join(SourceKinds(), ", "))
}

// Warnings returns what is suspicious in c but not wrong: an event of a
// source (stripe.*, slack.*) under on: whose type is not one validate
// knows, with the closest known one. Each reads like an Error, with
// "warning:" before the message.
func (c *Config) Warnings() []string {
	var out []string
	for i, r := range c.Rules {
		if r == nil {
			continue
		}
		for j, on := range r.On {
			kind := SourceOf(on)
			if kind == SourceGitHub {
				continue
			}
			typ := strings.TrimPrefix(on, kind+".")
			known := SourceEventTypes(kind)
			if contains(known, typ) {
				continue
			}
			key := c.ItemKey(fmt.Sprintf("rules[%d].on", i), j)
			full := make([]string, len(known))
			for k, name := range known {
				full[k] = kind + "." + name
			}
			hint := didYouMean(on, full)
			out = append(out, fmt.Sprintf("%s: %s: warning: %q is not a %s event type Switchboard knows%s; the rule will match only if %s sends that type",
				c.Pos(key), key, on, kind, hint, kind))
		}
	}
	return out
}
