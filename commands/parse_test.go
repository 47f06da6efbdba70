package commands

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := map[string]struct {
		body string
		want []Command
	}{
		"one command":             {"/retest", []Command{{Name: Retest, Known: true}}},
		"after prose, indented":   {"CI was flaky.\n  /retest\nthanks", []Command{{Name: Retest, Known: true}}},
		"several lines":           {"/build\r\n/cancel\n/switchboard help", []Command{{Name: Build, Known: true}, {Name: Cancel, Known: true}, {Name: Help, Known: true}}},
		"build with a rule":       {"/build pr-checks extra words", []Command{{Name: Build, Arg: "pr-checks", Known: true}}},
		"not at the line start":   {"please /retest", nil},
		"a longer word":           {"/retesting", []Command{{Name: "/retesting"}}},
		"unknown command":         {"/deploy prod", []Command{{Name: "/deploy"}}},
		"unknown switchboard":     {"/switchboard reboot", []Command{{Name: "/switchboard reboot"}}},
		"a path is prose":         {"/usr/bin/env failed\n/ 2", nil},
		"inside a code fence":     {"```\n/retest\n```\n/cancel", []Command{{Name: Cancel, Known: true}}},
		"inside a tilde fence":    {"~~~~\n/build\n~~~~", nil},
		"quoted is prose":         {"> /retest", nil},
		"empty":                   {"", nil},
		"at most ten":             {"/retest\n/retest\n/retest\n/retest\n/retest\n/retest\n/retest\n/retest\n/retest\n/retest\n/retest\n/retest", repeat(Command{Name: Retest, Known: true}, 10)},
		"a very long slash word":  {"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil},
		"non-letter first":        {"/1retest", nil},
		"hostile control bytes":   {"/retest\x00\x1b[31m", nil},
		"command then whitespace": {"/cancel   \t", []Command{{Name: Cancel, Known: true}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Parse(tc.body); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.body, got, tc.want)
			}
		})
	}
}

func repeat(c Command, n int) []Command {
	out := make([]Command, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func TestTexts(t *testing.T) {
	if got := CommandText(Command{Name: Retest}, "octocat", "MEMBER"); got != "command /retest by octocat (MEMBER)" {
		t.Errorf("CommandText = %q", got)
	}
	if got := CommandText(Command{Name: Build, Arg: "pr"}, "octocat", "OWNER"); got != "command /build pr by octocat (OWNER)" {
		t.Errorf("CommandText = %q", got)
	}
	if got := RerunText("jenkins/acme/widgets", "octocat"); got != "re-run of jenkins/acme/widgets requested from the Checks tab by octocat" {
		t.Errorf("RerunText = %q", got)
	}
}
