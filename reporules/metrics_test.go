package reporules_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-dev/switchboard/reporules"
)

// Deliveries of one repository processed at once read its file once, and
// the metrics count the reads by answer, the refusals and the cache.
func TestConcurrentReadsAndMetrics(t *testing.T) {
	e := newEnv(t)
	cfg := centralConfig(t, "main")
	reg := prometheus.NewRegistry()
	src := e.source(reporules.Options{Registerer: reg})
	e.gh.SetFile("acme", "widgets", "", reporules.Path, file("acme/widgets/build"))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaA)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.calls("acme", "widgets"); n != 1 {
		t.Fatalf("%d contents calls for 8 deliveries at once, want 1", n)
	}
	e.clock.Add(2 * time.Minute)
	if _, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaB)); err != nil {
		t.Fatal(err)
	}
	e.gh.SetFile("acme", "widgets", shaB, reporules.Path, file("acme/other/build"))
	if _, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaB, reporules.Path)); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP switchboard_repo_rules_cached_repositories Repositories whose .github/switchboard.yml is cached.
# TYPE switchboard_repo_rules_cached_repositories gauge
switchboard_repo_rules_cached_repositories 1
# HELP switchboard_repo_rules_reads_total Contents API requests for repositories' .github/switchboard.yml, by answer (ok, not_modified, not_found, error).
# TYPE switchboard_repo_rules_reads_total counter
switchboard_repo_rules_reads_total{answer="not_modified"} 1
switchboard_repo_rules_reads_total{answer="ok"} 2
# HELP switchboard_repo_rules_refused_total Versions of repositories' .github/switchboard.yml refused (parse, policy or template problems).
# TYPE switchboard_repo_rules_refused_total counter
switchboard_repo_rules_refused_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
