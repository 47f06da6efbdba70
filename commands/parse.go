// Package commands answers the deliveries in which people talk to
// Switchboard on a pull request: comment commands (/retest, /build [RULE],
// /cancel, /switchboard help) and re-runs asked for from the Checks tab
// (check_run.rerequested, check_suite.rerequested). It turns them into
// jobs for the pipeline's processor, which queues them like any rule's.
package commands

import (
	"strings"
)

// Command names.
const (
	Retest = "/retest"
	Build  = "/build"
	Cancel = "/cancel"
	Help   = "/switchboard help"
	// OkToTest approves a held pull request from a fork (oktotest.go).
	OkToTest = "/ok-to-test"
)

// Command is one command line of a comment.
type Command struct {
	// Name is Retest, Build, Cancel or Help; for an unknown command, the
	// word as written ("/deploy").
	Name string
	// Arg is /build's rule name, if given.
	Arg string
	// Known is false for a slash-word Switchboard does not know.
	Known bool
}

// maxCommands bounds the commands one comment may give.
const maxCommands = 10

// Parse finds the commands of a comment body: every line that starts with
// a command (leading spaces allowed), outside fenced code blocks. A line
// starting with another slash-word ("/deploy") is an unknown command; a
// line starting with a path ("/usr/bin") or anything else is prose.
func Parse(body string) []Command {
	var out []Command
	fence := ""
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if f := fenceOf(t); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(t, fence) && strings.TrimLeft(t, fence[:1]) == "":
				fence = ""
			}
			continue
		}
		if fence != "" || !strings.HasPrefix(t, "/") {
			continue
		}
		if c, ok := parseLine(t); ok {
			out = append(out, c)
			if len(out) == maxCommands {
				break
			}
		}
	}
	return out
}

// fenceOf returns the fence a line opens or closes (``` or ~~~, or
// longer), or "".
func fenceOf(t string) string {
	for _, ch := range []string{"`", "~"} {
		n := len(t) - len(strings.TrimLeft(t, ch))
		if n >= 3 {
			return strings.Repeat(ch, n)
		}
	}
	return ""
}

// parseLine reads one line that starts with "/".
func parseLine(t string) (Command, bool) {
	fields := strings.Fields(t)
	word := fields[0]
	if !isWord(word[1:]) {
		return Command{}, false // a path or punctuation, not a command
	}
	switch word {
	case Retest, Cancel, OkToTest:
		return Command{Name: word, Known: true}, true
	case Build:
		c := Command{Name: Build, Known: true}
		if len(fields) > 1 {
			c.Arg = fields[1]
		}
		return c, true
	case "/switchboard":
		if len(fields) > 1 && fields[1] == "help" {
			return Command{Name: Help, Known: true}, true
		}
		return Command{Name: strings.Join(fields[:min(2, len(fields))], " ")}, true
	}
	return Command{Name: word}, true
}

// isWord reports whether s is a command word: letters, digits, - and _,
// starting with a letter.
func isWord(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(r >= '0' && r <= '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
