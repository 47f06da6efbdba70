package cli

// The documentation's examples are real: every configuration in docs/ and
// examples/cookbook/ goes through `switchboard validate`, every cookbook rule
// is run by `switchboard simulate` on a payload from testdata/webhooks (edited
// where the recipe needs it) and fires, or does not, as the docs say; and the
// outputs the docs print are the outputs simulate prints.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
)

const (
	cookbookDir = "../examples/cookbook"
	webhooksDir = "../testdata/webhooks"
)

// docsEnv is the environment the documented configurations load with.
func docsEnv() map[string]string {
	return map[string]string{
		"GITHUB_WEBHOOK_SECRET": "docs-webhook-secret",
		"GITHUB_APP_ID":         "123456",
		"JENKINS_URL":           "https://jenkins.example.com/",
		"JENKINS_USER":          "switchboard",
		"JENKINS_API_TOKEN":     "docs-jenkins-token",
		"SLACK_BOT_TOKEN":       "xoxb-docs",
		"DEPLOY_SECRET":         "docs-deploy-secret",
		// Named by examples in docs/config.md.
		"GITHUB_WEBHOOK_SECRET_OLD": "docs-webhook-secret-old",
		"JENKINS_OLD_PASSWORD":      "docs-jenkins-password",
		"SLACK_ALERTS_WEBHOOK_URL":  "https://hooks.slack.com/services/T000/B000/XXXX",
		"DATABASE_URL":              "postgres://switchboard@127.0.0.1:5432/switchboard",
	}
}

func cookbookFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(cookbookDir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("%d cookbook files in %s, want at least ten", len(files), cookbookDir)
	}
	return files
}

func TestCookbookValidates(t *testing.T) {
	for _, path := range cookbookFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			code, stdout, stderr := run(t, docsEnv(), "", "validate", "-c", path)
			if code != 0 {
				t.Fatalf("validate: exit %d\n%s", code, stderr)
			}
			if !strings.HasPrefix(stdout, path+": ok (") {
				t.Errorf("validate stdout = %q", stdout)
			}
		})
	}
}

// cookbookCase runs one cookbook file on one payload.
type cookbookCase struct {
	name    string
	file    string // in examples/cookbook
	event   string
	payload string // in testdata/webhooks
	patch   string // a JSON merge patch (RFC 7396) applied to the payload
	files   string // simulate --files
	fires   []string
	want    []string // substrings of simulate's output
	unknown []string // rules simulate reports as having unknown paths
}

// statusPatch turns push.branch.json into a status event (GitHub's "status"
// webhook: id, sha, name, target_url, context, description, state, commit,
// branches, created_at, updated_at, with the push's repository, sender and
// installation), for a commit status with the given state and context.
func statusPatch(state, context string) string {
	return `{"ref": null, "before": null, "after": null, "created": null, "deleted": null, "forced": null,
	 "base_ref": null, "compare": null, "commits": null, "head_commit": null, "pusher": null,
	 "id": 6805126730, "sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "name": "Codertocat/Hello-World",
	 "target_url": "https://jenkins.example.com/job/acme/job/Hello-World/job/main/42/",
	 "context": "` + context + `", "description": "Build #42 failed", "state": "` + state + `",
	 "commit": {"sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
	            "html_url": "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246"},
	 "branches": [{"name": "main", "commit": {"sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246"}, "protected": true}],
	 "created_at": "2019-05-15T15:20:55+00:00", "updated_at": "2019-05-15T15:20:55+00:00"}`
}

func cookbookCases() []cookbookCase {
	const (
		onMain       = `{"pull_request": {"base": {"ref": "main"}}}`
		mainPush     = `{"ref": "refs/heads/main"}`
		workflowPush = `{"commits": [{"id": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "message": "CI: cache modules",
		  "added": [".github/workflows/ci.yml"], "removed": [], "modified": []}]}`
		codePush = `{"ref": "refs/heads/main", "commits": [{"id": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
		  "message": "Add a build", "added": ["README.md", "main.go"], "removed": [], "modified": []}]}`
	)
	return []cookbookCase{
		{name: "push to main builds", file: "01-build-main.yml", event: "push", payload: "push.branch.json", patch: mainPush,
			fires: []string{"build-main"},
			want: []string{`"job":"acme/Hello-World/main"`, `"GIT_SHA":"6113728f27ae82c7b1a177c8d03f9e96e0adf246"`,
				`"SWITCHBOARD_DELIVERY":"simulated"`, `"report":true`, `"context":"jenkins/acme/Hello-World/main"`,
				`"text":"Codertocat pushed 1 commit(s) to Codertocat/Hello-World@main (6113728); building."`}},
		{name: "push to another branch does not build", file: "01-build-main.yml", event: "push", payload: "push.branch.json"},
		{name: "deleting main does not build", file: "01-build-main.yml", event: "push", payload: "push.branch-delete.json", patch: mainPush},

		{name: "pull request to main builds and is greeted", file: "02-pr-checks.yml", event: "pull_request", payload: "pull_request.opened.json", patch: onMain,
			fires: []string{"pr-checks", "pr-greeting"},
			want: []string{`"job":"acme/Hello-World/pr"`, `"PR":"2"`, `"GIT_SHA":"ec26c3e57ca3a959ca5aad62de7213c562f8c821"`,
				`"context":"ci/build"`, `"add":["ci-queued"],"remove":["ci-passed","ci-failed"]`,
				`"body":"Thanks, @Codertocat! Jenkins is building ec26c3e;\nits result shows as the ` + "`ci/build`" + ` check of this pull request.\n"`}},
		{name: "new commits on a release branch build without a greeting", file: "02-pr-checks.yml", event: "pull_request", payload: "pull_request.synchronize.json",
			patch: `{"pull_request": {"base": {"ref": "release/2.0"}}}`, fires: []string{"pr-checks"}},
		{name: "pull request to another base does nothing", file: "02-pr-checks.yml", event: "pull_request", payload: "pull_request.opened.json"},

		{name: "ready pull request builds", file: "03-skip-drafts.yml", event: "pull_request", payload: "pull_request.opened.json", patch: onMain,
			fires: []string{"pr-build-ready"}, want: []string{`"PR":"2"`}},
		{name: "draft pull request does not build", file: "03-skip-drafts.yml", event: "pull_request", payload: "pull_request.opened.json",
			patch: `{"pull_request": {"draft": true, "base": {"ref": "main"}}}`},
		{name: "draft marked ready builds", file: "03-skip-drafts.yml", event: "pull_request", payload: "pull_request.opened.json",
			patch: `{"action": "ready_for_review", "pull_request": {"base": {"ref": "main"}}}`, fires: []string{"pr-build-ready"}},
		{name: "converting to a draft does not build", file: "03-skip-drafts.yml", event: "pull_request", payload: "pull_request.converted_to_draft.json", patch: onMain},

		{name: "pull request by a person builds", file: "04-skip-bots.yml", event: "pull_request", payload: "pull_request.opened.json",
			fires: []string{"pr-build-humans"}},
		{name: "dependabot is labelled, not built", file: "04-skip-bots.yml", event: "pull_request", payload: "pull_request.opened.json",
			patch: `{"pull_request": {"user": {"login": "dependabot[bot]", "type": "Bot"}}}`,
			fires: []string{"label-dependency-updates"}, want: []string{`"add":["dependencies"]`}},
		{name: "another App's pull request is neither", file: "04-skip-bots.yml", event: "pull_request", payload: "pull_request.opened.json",
			patch: `{"pull_request": {"user": {"login": "acme-release-bot[bot]", "type": "Bot"}}}`},

		{name: "Markdown-only push builds the docs, not the code", file: "05-docs-changes.yml", event: "push", payload: "push.branch.json", patch: mainPush,
			fires: []string{"docs-site"}, want: []string{`"job":"acme/docs-site"`, `"PR":""`, `"REPOSITORY":"Codertocat/Hello-World"`}},
		{name: "push with code builds both", file: "05-docs-changes.yml", event: "push", payload: "push.branch.json", patch: codePush,
			fires: []string{"docs-site", "build-main-unless-docs-only"}},
		{name: "pull request changing docs builds the docs", file: "05-docs-changes.yml", event: "pull_request", payload: "pull_request.opened.json",
			files: "docs/guide/install.md", fires: []string{"docs-site"}, want: []string{`"PR":"2"`}},
		{name: "pull request changing code and docs builds both", file: "05-docs-changes.yml", event: "pull_request", payload: "pull_request.opened.json",
			files: "internal/store/db.go,README.md", fires: []string{"docs-site", "pr-build-code"}},
		{name: "pull request with unknown files builds nothing", file: "05-docs-changes.yml", event: "pull_request", payload: "pull_request.opened.json",
			unknown: []string{"docs-site", "pr-build-code"}},

		{name: "release tag builds a release", file: "06-release-tags.yml", event: "push", payload: "push.tag.json", patch: `{"ref": "refs/tags/v1.4.0"}`,
			fires: []string{"release"},
			want: []string{`"TAG":"v1.4.0"`, `"context":"release/v1.4.0"`,
				`"text":":package: Codertocat tagged Codertocat/Hello-World v1.4.0; the release build has started: <https://github.com/Codertocat/Hello-World/releases/tag/v1.4.0|v1.4.0>"`}},
		{name: "other tags do not", file: "06-release-tags.yml", event: "push", payload: "push.tag.json"},
		{name: "deleting a release tag does not", file: "06-release-tags.yml", event: "push", payload: "push.tag-delete.json", patch: `{"ref": "refs/tags/v1.4.0"}`},

		{name: "issue in an acme repository goes to triage", file: "07-issue-triage.yml", event: "issues", payload: "issues.opened.json",
			patch: `{"repository": {"full_name": "acme/widgets"}}`, fires: []string{"triage-new-issues"},
			want: []string{`"channel":"#triage"`, `"text":"New issue <https://github.com/Codertocat/Hello-World/issues/1|acme/widgets#1> by Codertocat: Spelling error in the README file [bug]"`,
				`"add":["triage"]`}},
		{name: "issue elsewhere does not", file: "07-issue-triage.yml", event: "issues", payload: "issues.opened.json"},

		{name: "/retest on a pull request builds it", file: "08-chatops-retest.yml", event: "issue_comment", payload: "issue_comment.created-pr.json",
			patch: `{"comment": {"body": "/retest"}}`, fires: []string{"chatops-retest"},
			want: []string{`"PR":"2"`, `"body":"Retest of #2 queued, as @Codertocat asked."`}},
		{name: "/retest after blanks, with more words", file: "08-chatops-retest.yml", event: "issue_comment", payload: "issue_comment.created-pr.json",
			patch: `{"comment": {"body": "  /retest please, the runner died"}}`, fires: []string{"chatops-retest"}},
		{name: "/retest on an issue does nothing", file: "08-chatops-retest.yml", event: "issue_comment", payload: "issue_comment.created.json",
			patch: `{"comment": {"body": "/retest"}}`},
		{name: "/retesting is not the command", file: "08-chatops-retest.yml", event: "issue_comment", payload: "issue_comment.created-pr.json",
			patch: `{"comment": {"body": "/retesting"}}`},
		{name: "/retest by an outsider does nothing", file: "08-chatops-retest.yml", event: "issue_comment", payload: "issue_comment.created-pr.json",
			patch: `{"comment": {"body": "/retest", "author_association": "NONE"}}`},
		{name: "an ordinary comment does nothing", file: "08-chatops-retest.yml", event: "issue_comment", payload: "issue_comment.created-pr.json"},

		{name: "deploy label deploys", file: "09-label-deploy.yml", event: "pull_request", payload: "pull_request.labeled.json",
			patch: `{"label": {"name": "deploy:staging"}, "pull_request": {"base": {"ref": "main"}}}`, fires: []string{"deploy-staging"},
			want: []string{`"job":"acme/Hello-World/deploy"`, `"ENVIRONMENT":"staging"`, `"context":"deploy/staging"`,
				`"remove":["deploy:staging"]`, `"body":"Deploying ec26c3e to staging, as @Codertocat asked."`}},
		{name: "another label does not", file: "09-label-deploy.yml", event: "pull_request", payload: "pull_request.labeled.json", patch: onMain},

		{name: "failed Jenkins build on main alerts", file: "10-failed-build-alert.yml", event: "status", payload: "push.branch.json",
			patch: statusPatch("failure", "jenkins/acme/Hello-World/main"), fires: []string{"failed-build-alert"},
			want: []string{`"channel":"#ci-alerts"`, `"text":":red_circle: jenkins/acme/Hello-World/main: failure on Codertocat/Hello-World@main (6113728): Build #42 failed <https://jenkins.example.com/job/acme/job/Hello-World/job/main/42/|build>"`}},
		{name: "successful build does not alert", file: "10-failed-build-alert.yml", event: "status", payload: "push.branch.json",
			patch: statusPatch("success", "jenkins/acme/Hello-World/main")},
		{name: "another CI's failure does not alert", file: "10-failed-build-alert.yml", event: "status", payload: "push.branch.json",
			patch: statusPatch("failure", "ci/circleci")},

		{name: "push changing a workflow is announced", file: "11-security-paths.yml", event: "push", payload: "push.branch.json",
			patch: workflowPush, fires: []string{"security-paths-push"}, want: []string{`"channel":"#security"`}},
		{name: "push changing the README is not", file: "11-security-paths.yml", event: "push", payload: "push.branch.json"},
		{name: "pull request changing a workflow is announced and labelled", file: "11-security-paths.yml", event: "pull_request", payload: "pull_request.opened.json",
			files: ".github/workflows/ci.yml", fires: []string{"security-paths-pr"}, want: []string{`"add":["security-review"]`}},
		{name: "pull request changing a nested Dockerfile is announced", file: "11-security-paths.yml", event: "pull_request", payload: "pull_request.opened.json",
			files: "services/api/Dockerfile,services/api/main.go", fires: []string{"security-paths-pr"}},
		{name: "pull request changing code only is not", file: "11-security-paths.yml", event: "pull_request", payload: "pull_request.opened.json",
			files: "services/api/main.go,README.md"},

		{name: "installation is announced", file: "12-new-installation.yml", event: "installation", payload: "installation.created.json",
			fires: []string{"app-installed"}, want: []string{`"text":"Codertocat installed Switchboard on Codertocat: Codertocat/Hello-World"`}},
		{name: "added repositories are announced", file: "12-new-installation.yml", event: "installation_repositories", payload: "installation_repositories.added.json",
			fires: []string{"app-repositories-added"}, want: []string{`"text":"Codertocat gave Switchboard access to Codertocat/Space"`}},

		{name: "merged pull request is sent, signed", file: "13-merged-pr-webhook.yml", event: "pull_request", payload: "pull_request.closed.json",
			patch: `{"pull_request": {"merged": true, "base": {"ref": "main"}}}`, fires: []string{"notify-deployer-on-merge"},
			want: []string{`"url":"https://deploy.example.com/hooks/merged"`, `"signed":true`, `"headers":{"X-Deploy-Environment":"staging"}`,
				`"body":"{\"repository\": \"Codertocat/Hello-World\", \"pr\": 2, \"title\": \"Update the README with new information.\", \"merge_sha\": \"c4295bd74fb0f4fda03689c3df3f2803b658fd85\", \"merged_by\": \"Codertocat\"}"`}},
		{name: "closed without merging is not", file: "13-merged-pr-webhook.yml", event: "pull_request", payload: "pull_request.closed.json", patch: onMain},
	}
}

func TestCookbookRulesFire(t *testing.T) {
	cases := cookbookCases()
	fired := map[string]map[string]bool{} // file -> rules seen firing
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload := patchedPayload(t, c.payload, c.patch)
			lines, stderr, code := simulateLines(t, filepath.Join(cookbookDir, c.file), c.event, payload, c.files)
			var notes string
			for _, rule := range c.unknown {
				notes += rules.UnknownPathsNote(rule) + "\n"
			}
			if code != 0 || stderr != notes {
				t.Fatalf("simulate: exit %d, stderr:\n%s\nwant stderr:\n%s", code, stderr, notes)
			}
			var got []string
			for _, l := range lines {
				var head struct{ Rule string }
				if err := json.Unmarshal([]byte(l), &head); err != nil {
					t.Fatalf("simulate line %q: %v", l, err)
				}
				if len(got) == 0 || got[len(got)-1] != head.Rule {
					got = append(got, head.Rule)
				}
				if fired[c.file] == nil {
					fired[c.file] = map[string]bool{}
				}
				fired[c.file][head.Rule] = true
			}
			if strings.Join(got, ",") != strings.Join(c.fires, ",") {
				t.Fatalf("rules fired: %q, want %q\noutput:\n%s", got, c.fires, strings.Join(lines, "\n"))
			}
			out := strings.Join(lines, "\n")
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s\noutput:\n%s", w, out)
				}
			}
		})
	}
	// Every rule of every cookbook file fires in some case above.
	for _, path := range cookbookFiles(t) {
		file := filepath.Base(path)
		cfg, err := config.Load(path, lookup(docsEnv()))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, r := range cfg.Rules {
			if !fired[file][r.Name] {
				t.Errorf("%s: no case shows rule %q firing", file, r.Name)
			}
		}
	}
}

// The cookbook in docs/rules.md shows each file's rules word for word.
func TestCookbookMatchesRulesDoc(t *testing.T) {
	doc := readFile(t, "../docs/rules.md")
	for _, path := range cookbookFiles(t) {
		text := readFile(t, path)
		i := strings.Index(text, "\nrules:\n")
		if i < 0 {
			t.Errorf("%s: no top-level rules: section", path)
			continue
		}
		section := text[i+1:]
		if !strings.Contains(doc, "```yaml\n"+section+"```\n") {
			t.Errorf("docs/rules.md does not show the rules of %s word for word in a yaml block", path)
		}
		if !strings.Contains(doc, "examples/cookbook/"+filepath.Base(path)) {
			t.Errorf("docs/rules.md does not name %s", filepath.Base(path))
		}
	}
}

// Every yaml block of the docs is a configuration (a top-level fragment of
// one, completed with a webhook secret and jenkins and slack connections
// named main where it has none) that validates; a block whose first line is
// "# error: MESSAGE" must fail validate with MESSAGE. A block followed by
// <!-- simulate --event E --payload FILE [--files F] [--patch JSON] --> and
// a json block prints exactly that json under simulate.
func TestDocsYAMLBlocks(t *testing.T) {
	for _, doc := range []string{"rules.md", "config.md", "github-app.md", "operations.md"} {
		t.Run(doc, func(t *testing.T) {
			items := markdownItems(readFile(t, filepath.Join("..", "docs", doc)))
			yamlBlocks, simulated := 0, 0
			var last *mdItem // the last yaml block
			for i := range items {
				it := &items[i]
				switch {
				case it.simulate != "":
					if last == nil || i+1 >= len(items) || items[i+1].lang != "json" {
						t.Fatalf("%s:%d: a simulate comment needs a yaml block before it and a json block after it", doc, it.line)
					}
					checkSimulated(t, doc, last, it, &items[i+1])
					simulated++
				case it.lang == "yaml":
					last = it
					yamlBlocks++
					checkYAMLBlock(t, doc, it)
				}
			}
			if yamlBlocks == 0 {
				t.Fatalf("%s has no yaml blocks", doc)
			}
			t.Logf("%s: %d yaml blocks validated, %d simulated", doc, yamlBlocks, simulated)
		})
	}
}

func checkYAMLBlock(t *testing.T, doc string, it *mdItem) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "block.yml")
	if err := os.WriteFile(path, []byte(docsConfig(it.body)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, docsEnv(), "", "validate", "-c", path)
	first, _, _ := strings.Cut(it.body, "\n")
	if want, ok := strings.CutPrefix(first, "# error: "); ok {
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s:%d: validate exit %d, stderr:\n%s\nwant a failure saying %q", doc, it.line, code, stderr, want)
		}
		return
	}
	if code != 0 {
		t.Errorf("%s:%d: yaml block does not validate (exit %d):\n%s", doc, it.line, code, stderr)
	}
}

func checkSimulated(t *testing.T, doc string, block, sim, out *mdItem) {
	t.Helper()
	args := sim.simulate
	patch := ""
	if i := strings.Index(args, "--patch "); i >= 0 {
		args, patch = args[:i], strings.TrimSpace(args[i+len("--patch "):])
	}
	f := strings.Fields(args)
	var event, payload, files string
	for i := 0; i+1 < len(f); i += 2 {
		switch f[i] {
		case "--event":
			event = f[i+1]
		case "--payload":
			payload = f[i+1]
		case "--files":
			files = f[i+1]
		default:
			t.Fatalf("%s:%d: simulate comment: unknown flag %q", doc, sim.line, f[i])
		}
	}
	path := filepath.Join(t.TempDir(), "block.yml")
	if err := os.WriteFile(path, []byte(docsConfig(block.body)), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, stderr, code := simulateLines(t, path, event, patchedPayload(t, payload, patch), files)
	if code != 0 {
		t.Fatalf("%s:%d: simulate exit %d:\n%s", doc, sim.line, code, stderr)
	}
	if got, want := strings.Join(lines, "\n"), strings.TrimSpace(out.body); got != want {
		t.Errorf("%s:%d: simulate prints:\n%s\nthe doc says:\n%s", doc, out.line, got, want)
	}
}

// docsConfig completes a documented fragment into a configuration.
func docsConfig(body string) string {
	var b strings.Builder
	has := func(key string) bool { return regexp.MustCompile(`(?m)^` + key + `:`).MatchString(body) }
	if !has("github") {
		b.WriteString("github:\n  webhook_secret: ${GITHUB_WEBHOOK_SECRET}\n")
	}
	if !has("jenkins") {
		b.WriteString("jenkins:\n  main: {url: \"${JENKINS_URL}\", user: \"${JENKINS_USER}\", token: \"${JENKINS_API_TOKEN}\"}\n")
	}
	if !has("slack") {
		b.WriteString("slack:\n  main: {token: \"${SLACK_BOT_TOKEN}\"}\n")
	}
	b.WriteString(body)
	return b.String()
}

// mdItem is a fenced code block or a simulate comment of a markdown file.
type mdItem struct {
	line     int    // 1-based line of the fence or comment
	lang     string // code blocks: the fence's language
	body     string
	simulate string // simulate comments: the flags
}

var simulateComment = regexp.MustCompile(`^<!-- simulate (.*) -->$`)

func markdownItems(text string) []mdItem {
	var (
		items  []mdItem
		cur    *mdItem
		indent string // of the open fence: a block in a list item is indented
		body   strings.Builder
	)
	for n, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur != nil && trimmed == "```":
			cur.body = body.String()
			items = append(items, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(strings.TrimPrefix(line, indent) + "\n")
		case strings.HasPrefix(trimmed, "```"):
			cur = &mdItem{line: n + 1, lang: strings.TrimPrefix(trimmed, "```")}
			indent = line[:len(line)-len(trimmed)]
			body.Reset()
		default:
			if m := simulateComment.FindStringSubmatch(line); m != nil {
				items = append(items, mdItem{line: n + 1, simulate: m[1]})
			}
		}
	}
	return items
}

// patchedPayload reads a payload of testdata/webhooks and applies a JSON
// merge patch to it, keeping numbers as written.
func patchedPayload(t *testing.T, name, patch string) []byte {
	t.Helper()
	raw := readFile(t, filepath.Join(webhooksDir, name))
	if patch == "" {
		return []byte(raw)
	}
	doc, p := decodeJSON(t, raw), decodeJSON(t, patch)
	out, err := json.Marshal(mergePatch(doc, p))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("JSON %q: %v", s, err)
	}
	return v
}

// mergePatch applies patch to doc as RFC 7396 says: objects merge key by
// key, null removes a key, anything else replaces.
func mergePatch(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = mergePatch(d[k], v)
	}
	return d
}

// simulateLines runs simulate on payload and returns its output lines.
func simulateLines(t *testing.T, cfg, event string, payload []byte, files string) (lines []string, stderr string, code int) {
	t.Helper()
	args := []string{"simulate", "-c", cfg, "--event", event, "--payload", "-"}
	if files != "" {
		args = append(args, "--files", files)
	}
	code, stdout, stderr := run(t, docsEnv(), string(payload), args...)
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, stderr, code
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// The manifest in docs/github-app.md is app.yml, in JSON.
func TestGitHubAppManifestInDocs(t *testing.T) {
	doc := readFile(t, "../docs/github-app.md")
	start := strings.Index(doc, `<textarea name="manifest"`)
	if start < 0 {
		t.Fatal(`docs/github-app.md has no <textarea name="manifest">`)
	}
	start += strings.Index(doc[start:], ">") + 1
	end := start + strings.Index(doc[start:], "</textarea>")
	var fromDoc any
	if err := json.Unmarshal([]byte(doc[start:end]), &fromDoc); err != nil {
		t.Fatalf("the manifest in docs/github-app.md is not JSON: %v", err)
	}
	var fromYAML any
	if err := yaml.Unmarshal([]byte(readFile(t, "../app.yml")), &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Through JSON, so both sides hold the same Go types.
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromDoc, want) {
		got, _ := json.MarshalIndent(fromDoc, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("manifest in docs/github-app.md:\n%s\napp.yml as JSON:\n%s", got, w)
	}
}

// docs/rules.md names every event, condition, template field, function,
// action kind and action field the code knows.
func TestRulesDocCoversLanguage(t *testing.T) {
	doc := readFile(t, "../docs/rules.md")
	var missing []string
	need := func(s string) {
		if !strings.Contains(doc, "`"+s+"`") {
			missing = append(missing, s)
		}
	}
	for _, e := range config.Events() {
		need(e)
	}
	for _, k := range yamlKeys(reflect.TypeFor[config.Conditions]()) {
		need(k)
	}
	event := reflect.TypeFor[rules.Event]()
	for i := 0; i < reflect.PointerTo(event).NumMethod(); i++ {
		if m := reflect.PointerTo(event).Method(i); m.Type.NumIn() == 1 {
			need("." + m.Name) // called as a field in templates, such as .Payload
		}
	}
	for i := 0; i < event.NumField(); i++ {
		f := event.Field(i)
		if !f.IsExported() {
			continue
		}
		need("." + f.Name)
		sub := f.Type
		for sub.Kind() == reflect.Pointer || sub.Kind() == reflect.Slice {
			sub = sub.Elem()
		}
		if sub.Kind() != reflect.Struct {
			continue
		}
		for j := 0; j < sub.NumField(); j++ {
			if sf := sub.Field(j); sf.IsExported() {
				if f.Type.Kind() == reflect.Slice {
					need("." + sf.Name) // fields of a range element, such as .Message
				} else {
					need("." + f.Name + "." + sf.Name)
				}
			}
		}
	}
	for name := range rules.Funcs() {
		need(name)
	}
	kinds := map[string]reflect.Type{
		"jenkins": reflect.TypeFor[config.JenkinsAction](), "slack": reflect.TypeFor[config.SlackAction](),
		"label": reflect.TypeFor[config.LabelAction](), "status": reflect.TypeFor[config.StatusAction](),
		"http": reflect.TypeFor[config.HTTPAction](), "log": reflect.TypeFor[config.LogAction](),
	}
	for _, k := range config.ActionKinds() {
		need(k)
		if typ, ok := kinds[k]; ok {
			for _, f := range yamlKeys(typ) {
				need(k + "." + f)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("docs/rules.md does not mention (in backticks): %s", strings.Join(missing, ", "))
	}
}

// docs/config.md names every key of every section but rules (which
// docs/rules.md covers), as `section.key` (`jenkins.NAME.url` for maps).
func TestConfigDocCoversKeys(t *testing.T) {
	doc := readFile(t, "../docs/config.md")
	var missing []string
	cfg := reflect.TypeFor[config.Config]()
	for i := 0; i < cfg.NumField(); i++ {
		f := cfg.Field(i)
		section, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if section == "-" || section == "" || section == "rules" {
			continue
		}
		typ, prefix := f.Type, section
		if typ.Kind() == reflect.Map {
			typ, prefix = typ.Elem(), section+".NAME"
		}
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		for _, k := range yamlKeys(typ) {
			if key := prefix + "." + k; !strings.Contains(doc, "`"+key+"`") {
				missing = append(missing, key)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs/config.md does not mention (in backticks): %s", strings.Join(missing, ", "))
	}
}

// yamlKeys lists the YAML keys of a struct type.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
