package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cliRun is one run of the built binary.
type cliRun struct {
	stdout, stderr string
	code           int
}

// runCLI runs bin with args and env (on top of a process environment
// cleared of SWITCHBOARD_ variables).
func runCLI(t *testing.T, bin string, env []string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliRun{stdout: out.String(), stderr: errb.String(), code: code}
}

// TestCLIAgainstServer runs the real binary's deliveries and actions
// commands against a real server: list, show, replay, retry, -o json, the
// defaults from a config file, a wrong token and a server that is down.
func TestCLIAgainstServer(t *testing.T) {
	bin := buildBinary(t, t.TempDir())
	a := startAdmin(t, always(http.StatusInternalServerError))
	a.push(t, "cli-main", "main")
	a.push(t, "cli-feature", "feature/x")
	if s := a.settled(t, "cli-main"); s != "succeeded" {
		t.Fatalf("cli-main is %s, want succeeded", s)
	}
	if s := a.settled(t, "cli-feature"); s != "failed" {
		t.Fatalf("cli-feature is %s, want failed", s)
	}

	flags := []string{"--url", a.srv.URL, "--token", adminToken}
	run := func(args ...string) cliRun {
		t.Helper()
		return runCLI(t, bin, nil, append(args, flags...)...)
	}
	ok := func(r cliRun, what string) {
		t.Helper()
		if r.code != 0 || r.stderr != "" && !strings.HasPrefix(r.stderr, "more:") {
			t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, adminToken) || strings.Contains(r.stdout+r.stderr, hookSecret) {
			t.Fatalf("%s printed a secret:\n%s%s", what, r.stdout, r.stderr)
		}
	}

	t.Run("list table", func(t *testing.T) {
		r := run("deliveries", "list")
		ok(r, "list")
		ls := lines(r.stdout)
		if len(ls) != 3 {
			t.Fatalf("want a header and 2 rows, got:\n%s", r.stdout)
		}
		header := ls[0]
		for _, col := range []string{"RECEIVED", "STATUS", "EVENT", "REPO", "SENDER", "RULES", "ACTIONS", "ID"} {
			if !strings.Contains(header, col) {
				t.Errorf("header %q lacks %s", header, col)
			}
		}
		// Newest first; aligned: each row's status starts under STATUS.
		col := strings.Index(header, "STATUS")
		wants := []struct{ id, status string }{{"cli-feature", "failed"}, {"cli-main", "succeeded"}}
		for i, w := range wants {
			row := ls[i+1]
			if !strings.HasSuffix(row, w.id) || !strings.HasPrefix(row[col:], w.status+" ") {
				t.Errorf("row %d = %q, want %s with status %s at column %d", i+1, row, w.id, w.status, col)
			}
			if !regexp.MustCompile(`^(just now|\d+s ago) `).MatchString(row) {
				t.Errorf("row %d = %q: want a relative time first", i+1, row)
			}
		}
	})

	t.Run("list filtered", func(t *testing.T) {
		r := run("deliveries", "list", "--status", "failed", "--event", "push", "--repo", "Codertocat/Hello-World", "--limit", "10")
		ok(r, "list --status failed")
		if ls := lines(r.stdout); len(ls) != 2 || !strings.HasSuffix(ls[1], "cli-feature") {
			t.Fatalf("want only cli-feature:\n%s", r.stdout)
		}
		r = run("deliveries", "list", "--limit", "1")
		ok(r, "list --limit 1")
		if !strings.HasPrefix(r.stderr, "more: add --cursor ") {
			t.Fatalf("want the next cursor on stderr, got %q", r.stderr)
		}
		cursor := strings.TrimSpace(strings.TrimPrefix(r.stderr, "more: add --cursor "))
		r = run("deliveries", "list", "--limit", "1", "--cursor", cursor)
		ok(r, "list --cursor")
		if ls := lines(r.stdout); len(ls) != 2 || !strings.HasSuffix(ls[1], "cli-main") {
			t.Fatalf("second page: want cli-main:\n%s", r.stdout)
		}
		// A cursor the server did not make (hand-edited, or from another
		// server) is refused by name; nothing is listed.
		r = run("deliveries", "list", "--cursor", cursor+"x'; DROP TABLE deliveries; --")
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "cursor: not a cursor this server made") {
			t.Errorf("bad cursor: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("list json", func(t *testing.T) {
		r := run("deliveries", "list", "-o", "json")
		ok(r, "list -o json")
		var page struct {
			Deliveries []struct {
				ID, Status string
			} `json:"deliveries"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.stdout)
		}
		if len(page.Deliveries) != 2 || page.Deliveries[0].ID != "cli-feature" || page.Deliveries[1].Status != "succeeded" {
			t.Fatalf("got %+v", page.Deliveries)
		}
	})

	var failedAction string
	t.Run("show", func(t *testing.T) {
		r := run("deliveries", "show", "cli-feature")
		ok(r, "show")
		for _, want := range []string{
			"Delivery    cli-feature",
			"Status      failed",
			"Rules (1 of 2 matched)",
			"✗ build-main  did not match: branches failed",
			"FAILED  branches  branch is feature/x; wanted main",
			"✓ hook-feature  matched",
			"Actions (1)",
			"attempt 1",
			`"secret":"<secret>"`,
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("show lacks %q:\n%s", want, r.stdout)
			}
		}
		m := regexp.MustCompile(`(?m)^  ([0-9a-f]{20})  http  rule hook-feature, action 0  failed$`).FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("no failed http action line:\n%s", r.stdout)
		}
		failedAction = m[1]
	})

	t.Run("show json", func(t *testing.T) {
		r := run("deliveries", "show", "-o", "json", "cli-main")
		ok(r, "show -o json")
		var d struct {
			ID      string          `json:"id"`
			Payload json.RawMessage `json:"payload"`
			Actions []struct {
				Kind  string            `json:"kind"`
				State string            `json:"state"`
				Links map[string]string `json:"links"`
			} `json:"actions"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.stdout)
		}
		if d.ID != "cli-main" || len(d.Payload) == 0 || len(d.Actions) != 1 || d.Actions[0].Kind != "jenkins" || d.Actions[0].State != "succeeded" {
			t.Fatalf("got %+v", d)
		}
	})

	t.Run("replay", func(t *testing.T) {
		r := run("deliveries", "replay", "cli-main")
		ok(r, "replay")
		if r.stdout != "replayed cli-main as cli-main.replay-1\n" {
			t.Fatalf("got %q", r.stdout)
		}
		if s := a.settled(t, "cli-main.replay-1"); s != "succeeded" {
			t.Fatalf("replay is %s", s)
		}
		if n := len(a.jenkins.Triggers()); n != 2 {
			t.Fatalf("%d Jenkins builds, want 2 (the delivery and its replay)", n)
		}
		r = run("deliveries", "replay", "-o", "json", "cli-main")
		ok(r, "replay -o json")
		var got map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got["delivery"] != "cli-main.replay-2" || got["replay_of"] != "cli-main" {
			t.Fatalf("got %q (%v)", r.stdout, err)
		}
	})

	t.Run("retry", func(t *testing.T) {
		if failedAction == "" {
			t.Skip("show found no failed action")
		}
		before := a.hookHit.Load()
		r := run("actions", "retry", failedAction)
		ok(r, "retry")
		if r.stdout != "action "+failedAction+" queued for retry\n" {
			t.Fatalf("got %q", r.stdout)
		}
		eventually(t, 60*time.Second, "the retried attempt", func() bool {
			out := run("deliveries", "show", "cli-feature")
			return strings.Contains(out.stdout, "attempt 2") && a.status(t, "cli-feature") == "failed"
		})
		if a.hookHit.Load() != before+1 {
			t.Fatalf("endpoint called %d more times, want 1", a.hookHit.Load()-before)
		}
		// A succeeded action cannot be retried: the server says why.
		show := run("deliveries", "show", "-o", "json", "cli-main")
		var d struct {
			Actions []struct {
				ID string `json:"id"`
			} `json:"actions"`
		}
		if err := json.Unmarshal([]byte(show.stdout), &d); err != nil || len(d.Actions) != 1 {
			t.Fatalf("show: %v %s", err, show.stdout)
		}
		r = run("actions", "retry", d.Actions[0].ID)
		if r.code != 1 || r.stderr != "switchboard actions retry: server answered 409: action is succeeded; only a failed or cancelled action can be retried\n" {
			t.Fatalf("retry of a succeeded action: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		r := run("deliveries", "show", "no-such-delivery")
		if r.code != 1 || r.stderr != "switchboard deliveries show: server answered 404: delivery not found\n" || r.stdout != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		const wrong = "not-the-admin-token-42"
		for _, args := range [][]string{
			{"deliveries", "list"}, {"deliveries", "show", "cli-main"},
			{"deliveries", "replay", "cli-main"}, {"actions", "retry", "0123456789abcdef0123"},
		} {
			r := runCLI(t, bin, nil, append(args, "--url", a.srv.URL, "--token", wrong)...)
			want := "switchboard " + args[0] + " " + args[1] + ": server answered 401: missing or wrong admin token (Authorization: Bearer <token>)\n"
			if r.code != 1 || r.stderr != want || r.stdout != "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, r.code, r.stdout, r.stderr, want)
			}
		}
		if s := a.status(t, "cli-main.replay-3"); s != "" {
			t.Errorf("a replay with a wrong token made a delivery (%s)", s)
		}
	})

	t.Run("server down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + ln.Addr().String()
		ln.Close()
		for _, args := range [][]string{{"deliveries", "list"}, {"deliveries", "show", "x"}, {"deliveries", "replay", "x"}, {"actions", "retry", "x"}} {
			r := runCLI(t, bin, nil, append(args, "--url", down, "--token", adminToken)...)
			want := "switchboard " + args[0] + " " + args[1] + ": cannot reach switchboard at " + down + ": connection refused\n"
			if r.code != 1 || r.stderr != want || r.stdout != "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, r.code, r.stdout, r.stderr, want)
			}
		}
	})

	t.Run("defaults from config and environment", func(t *testing.T) {
		// A config whose server.addr is a wildcard on the server's port:
		// the CLI calls 127.0.0.1 there, with the config's token.
		_, port, err := net.SplitHostPort(strings.TrimPrefix(a.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "switchboard.yml")
		cfg := "server: {addr: \"0.0.0.0:" + port + "\", admin_token: \"${SWITCHBOARD_ADMIN_TOKEN}\"}\ngithub: {webhook_secret: s3cr3t}\n"
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		env := []string{"SWITCHBOARD_ADMIN_TOKEN=" + adminToken}
		r := runCLI(t, bin, env, "deliveries", "list", "-c", path)
		ok(r, "list with config and env")
		if !strings.Contains(r.stdout, "cli-main") {
			t.Fatalf("got:\n%s", r.stdout)
		}
		// --token wins over the environment.
		r = runCLI(t, bin, env, "deliveries", "list", "-c", path, "--token", "wrong-token-from-flag")
		if r.code != 1 || !strings.Contains(r.stderr, "401") {
			t.Fatalf("--token did not win: exit %d %q", r.code, r.stderr)
		}
		// No token anywhere: a clear error, no request.
		r = runCLI(t, bin, nil, "deliveries", "list", "--url", a.srv.URL, "-c", filepath.Join(t.TempDir(), "missing.yml"))
		if r.code != 1 || !strings.Contains(r.stderr, "reading the config for the admin token") {
			t.Fatalf("no token: exit %d %q", r.code, r.stderr)
		}
	})

	t.Run("simulate a stored delivery", func(t *testing.T) {
		// The local config builds feature branches too: simulate shows that
		// the stored push would now trigger a build.
		local := filepath.Join(t.TempDir(), "switchboard.yml")
		cfg := strings.Replace(adminConfig, "branches: [main]", `branches: [main, "feature/*"]`, 1)
		cfg = strings.ReplaceAll(cfg, "$TMP", t.TempDir())
		if err := os.WriteFile(local, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		env := []string{"GITHUB_WEBHOOK_SECRET=x", "SWITCHBOARD_ADMIN_TOKEN=" + adminToken, "JENKINS_URL=http://jenkins.invalid/",
			"JENKINS_TOKEN=t", "HOOK_URL=http://hook.invalid/", "HOOK_SECRET=" + hookSecret}
		r := runCLI(t, bin, env, "simulate", "-c", local, "--delivery", "cli-feature", "--url", a.srv.URL)
		ok(r, "simulate --delivery")
		out := lines(r.stdout)
		if len(out) != 2 || !strings.Contains(out[0], `"rule":"build-main"`) || !strings.Contains(out[0], `"SWITCHBOARD_DELIVERY":"cli-feature"`) || !strings.Contains(out[1], `"rule":"hook-feature"`) {
			t.Fatalf("got:\n%s", r.stdout)
		}
		r = runCLI(t, bin, env, "simulate", "-c", local, "--delivery", "no-such", "--url", a.srv.URL)
		if r.code != 1 || r.stderr != "switchboard simulate: delivery no-such: server answered 404: delivery not found\n" {
			t.Fatalf("unknown delivery: exit %d %q", r.code, r.stderr)
		}
	})
}
