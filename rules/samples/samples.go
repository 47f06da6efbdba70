// Package samples holds realistic webhook payloads, one or more per event
// that Switchboard converts through go-github, embedded in the binary so that
// `switchboard validate` can render every template against a sample of each
// event its rule listens to. The files are copies of testdata/webhooks (from
// @octokit/webhooks-examples, MIT; see testdata/webhooks/README.md); a test
// in package rules fails if they drift.
package samples

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// Payload is one sample delivery.
type Payload struct {
	Event   string // the X-GitHub-Event name, from the file name
	Name    string // the file name, such as push.branch.json
	Payload []byte
}

// Payloads returns every sample, sorted by file name. Each file is named
// <event>.<variant>.json.
func Payloads() []Payload {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		// The embedded directory is fixed at build time; it cannot fail.
		panic("samples: " + err.Error())
	}
	var out []Payload
	for _, e := range entries {
		name := e.Name()
		data, err := files.ReadFile(name)
		if err != nil {
			panic("samples: " + err.Error())
		}
		event, _, _ := strings.Cut(name, ".")
		out = append(out, Payload{Event: event, Name: name, Payload: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
