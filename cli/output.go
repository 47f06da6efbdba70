package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/switchboard-dev/switchboard/adminclient"
)

// clean makes a server-supplied text safe for a terminal table: one line,
// and no control characters, since repository names, senders and errors
// come from GitHub users and an escape sequence could rewrite the screen.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	return s
}

func ago(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return adminclient.Relative(t, now)
}

func exact(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func eventName(event, action string) string {
	if action == "" {
		return event
	}
	return event + "." + action
}

// writeList prints one page of deliveries as aligned columns.
func writeList(w io.Writer, p *adminclient.Page, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tSTATUS\tEVENT\tREPO\tSENDER\tRULES\tACTIONS\tID")
	for _, d := range p.Deliveries {
		id := clean(d.ID)
		if d.ReplayOf != "" {
			id += " (replay of " + clean(d.ReplayOf) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", ago(d.ReceivedAt, now), clean(d.Status),
			clean(eventName(d.Event, d.Action)), clean(d.Repo), clean(d.Sender), d.RulesMatched, d.Actions.String(), id)
	}
	tw.Flush()
	if len(p.Deliveries) == 0 {
		fmt.Fprintln(w, "(no deliveries)")
	}
}

// writeDetail prints one delivery: the summary, each rule with its
// conditions, each action with its attempts.
func writeDetail(w io.Writer, d *adminclient.Detail, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Delivery", clean(d.ID))
	if d.ReplayOf != "" {
		row("Replay of", clean(d.ReplayOf))
	}
	row("Event", clean(eventName(d.Event, d.Action)))
	row("Repository", clean(d.Repo))
	row("Sender", clean(d.Sender))
	row("Received", ago(d.ReceivedAt, now)+" ("+exact(d.ReceivedAt)+")")
	if d.ProcessedAt != nil {
		row("Processed", ago(*d.ProcessedAt, now)+" ("+exact(*d.ProcessedAt)+")")
	} else {
		row("Processed", "not yet")
	}
	row("Status", clean(d.Status))
	if d.ProcessError != "" {
		row("Error", clean(d.ProcessError))
	}
	if ua := d.Headers["user_agent"]; ua != "" {
		row("User agent", clean(ua))
	}
	if h := d.Headers["hook_id"]; h != "" {
		row("Hook", clean(h))
	}
	row("Payload", fmt.Sprintf("%d bytes (-o json shows it)", len(d.Payload)))
	tw.Flush()

	matched := 0
	for _, r := range d.Rules {
		if r.Matched {
			matched++
		}
	}
	fmt.Fprintf(w, "\nRules (%d of %d matched)\n", matched, len(d.Rules))
	if len(d.Rules) == 0 {
		if d.ProcessedAt == nil {
			fmt.Fprintln(w, "  not processed yet")
		} else {
			fmt.Fprintln(w, "  no rule listens to this event")
		}
	}
	for _, r := range d.Rules {
		verdict := "matched"
		if !r.Matched {
			verdict = "did not match"
			for _, c := range r.Conditions {
				if !c.OK {
					verdict = "did not match: " + clean(c.Condition) + " failed"
				}
			}
		}
		mark := "✓"
		if !r.Matched {
			mark = "✗"
		}
		fmt.Fprintf(w, "  %s %s  %s\n", mark, clean(r.Name), verdict)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range r.Conditions {
			ok := "ok"
			if !c.OK {
				ok = "FAILED"
			}
			fmt.Fprintf(tw, "      %s\t%s\t%s\n", ok, clean(c.Condition), clean(c.Detail))
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\nActions (%d)\n", len(d.Actions))
	if len(d.Actions) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, a := range d.Actions {
		fmt.Fprintf(w, "  %s  %s  rule %s, action %d  %s\n", clean(a.ID), clean(a.Kind), clean(a.Rule), a.Index, clean(a.State))
		if len(a.Params) > 0 && string(a.Params) != "null" {
			fmt.Fprintf(w, "      params  %s\n", clean(adminclient.FormatJSON(a.Params, "")))
		}
		keys := make([]string, 0, len(a.Links))
		for k := range a.Links {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "      %s  %s\n", clean(k), clean(a.Links[k]))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, t := range a.Attempts {
			fmt.Fprintf(tw, "      attempt %d\t%s\t%s\t%s\t%s\n", t.N, ago(t.StartedAt, now),
				adminclient.Duration(t.DurationMS), clean(t.Outcome), errText(t.Error))
		}
		tw.Flush()
		if len(a.Attempts) == 0 {
			fmt.Fprintln(w, "      no attempt yet")
		}
		if a.NextAttemptAt != nil {
			fmt.Fprintf(w, "      next attempt %s (%s)\n", ago(*a.NextAttemptAt, now), exact(*a.NextAttemptAt))
		}
	}
}

func errText(s string) string {
	if s == "" {
		return ""
	}
	return clean(s)
}
