package pipeline

import (
	"context"
	"testing"

	"github.com/switchboard-dev/switchboard/store"
)

// BenchmarkDecide is intake's decision for GitHub's push example under one
// rule that does not match it (the rule scripts/bench-intake.sh runs):
//
//	go test -run '^$' -bench Decide -benchmem ./pipeline/
func BenchmarkDecide(b *testing.B) {
	e := newProcessEnv(b, `
github: {webhook_secret: s}
rules:
  - name: matches-nothing
    on: [push]
    if: {repository: "nobody/nothing"}
    do:
      - log: {message: "never {{ .ShortSHA }}"}
`)
	d := store.Delivery{ID: "bench", Event: "push", Payload: readWebhook(b, "push.branch.json")}
	b.SetBytes(int64(len(d.Payload)))
	for b.Loop() {
		if _, ok := e.p.Decide(context.Background(), d); !ok {
			b.Fatal("not decided")
		}
	}
}
