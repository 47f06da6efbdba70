package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/reporules"
	"github.com/switchboard-dev/switchboard/rules"
)

// validateRepo checks file, a repository's .github/switchboard.yml,
// against the repo_rules policy of the central configuration cfgPath, for
// the repository forRepo (owner/repo; empty: the literal job paths and
// channels are not checked against the policy's globs).
func validateRepo(env Env, cfgPath, file, forRepo string) int {
	owner, repo, ok := strings.Cut(forRepo, "/")
	if forRepo != "" && (!ok || owner == "" || repo == "" || strings.Contains(repo, "/")) {
		fmt.Fprintf(env.Stderr, "switchboard validate: --for %q is not owner/repo\n", forRepo)
		return 2
	}
	cfg, err := config.Load(cfgPath, env.LookupEnv)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard validate: %v\n", err)
		return 1
	}
	r, err := reporules.CompileFile(cfg, file, owner, repo, forRepo, reporules.BlobSHA(data), data)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	fmt.Fprintf(env.Stdout, "%s: ok (%d rules, blob %s) under the policy of %s\n", file, r.Len(), r.SHA, cfg.File)
	repoNotes(env.Stdout, cfg, forRepo == "")
	return 0
}

// repoNotes says what the check could not: a policy that is off, globs
// not checked.
func repoNotes(w io.Writer, cfg *config.Config, noRepo bool) {
	if !cfg.RepoRules.Enabled {
		fmt.Fprintf(w, "note: repo_rules.enabled is false in %s: the server reads no repository's file\n", cfg.File)
	}
	if noRepo {
		fmt.Fprintln(w, "note: literal job paths and channels were not checked against the policy's globs; pass --for owner/repo")
	}
}

// simulateRepo runs the rules of file, as the repository of the payload's
// would have them, on one payload, after the central rules: one JSON line
// per action, explanations first with explain.
func simulateRepo(env Env, cfg *config.Config, file, event, delivery string, payload []byte, files []string, explain io.Writer) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: --repo-config: %v\n", err)
		return 1
	}
	ev, err := rules.NewEvent(event, delivery, payload)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: %v\n", err)
		return 1
	}
	owner, repo := ev.Repository.Owner, ev.Repository.Name
	if owner == "" || repo == "" {
		fmt.Fprintln(env.Stderr, "switchboard simulate: --repo-config: the payload names no repository; repository rules apply only to a repository's events")
		return 1
	}
	r, err := reporules.CompileFile(cfg, file, owner, repo, owner+"/"+repo, reporules.BlobSHA(data), data)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	if !cfg.RepoRules.Enabled {
		fmt.Fprintf(env.Stderr, "note: repo_rules.enabled is false in %s: the server would not run these rules\n", cfg.File)
	}
	if err := r.Simulate(context.Background(), ev, files, env.Stdout, explain); err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: %v\n", err)
		return 1
	}
	return 0
}
