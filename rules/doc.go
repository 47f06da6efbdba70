// Package rules is Switchboard's rule language: the event view that templates
// and conditions see (Event), the compilation of a configuration's rules
// (globs, expressions, templates) into an Engine, the matching of an event
// against those rules, and the rendering of each matching rule's actions into
// plain actions.Job values.
//
// The package does no I/O of its own. The one thing it cannot know from a
// webhook payload, the files a pull request changes, it asks for through the
// FileLister interface, which the GitHub client implements.
//
// # Matching
//
// A rule matches an event when the event's name (and action, for on: entries
// written event.action) is listed under on:, and every condition given under
// if: holds. An event that lacks what a condition asks about does not match it:
// a tag push never matches branches:, a push never matches labels:.
//
//	condition   what it tests
//	repository  owner/name of the repository (globs; case-insensitive, as on GitHub)
//	branches    push: the pushed branch (refs/heads/x); pull_request: the base branch;
//	            any other event: no match
//	tags        push of a tag: the tag name (refs/tags/x)
//	base, head  pull request base / head branch (pull_request events; an
//	            issue_comment on a pull request does not carry them)
//	paths       any changed file matches: for a push, the added, modified and
//	            removed files of its commits; for a pull_request event, the files
//	            the FileLister returns (nil lister: unknown, no match)
//	labels      every listed label is present; "!x" must not be present
//	            (labels of the pull request, else of the issue; case-insensitive)
//	authors     the author: comment author for issue_comment, else pull request
//	            author, else issue author, else the sender. Globs,
//	            case-insensitive. "!x" entries must all fail to match; when
//	            plain entries are given too, at least one must match
//	draft       the pull request's draft flag
//	expr        an expr-lang/expr boolean over the variable payload (the raw
//	            JSON); a runtime error (such as a missing key) is no match and
//	            is reported in Evaluate's error
//
// Branch, tag, base, head and path globs are case-sensitive, as in git.
// A "!" prefix is allowed only in labels and authors.
//
// Deleted branches and tags are pushes too (payload.deleted is true, .SHA is
// forty zeros); add expr: '!payload.deleted' to a rule that must not run for them.
//
// Past GitHub's limits a changed-file list may be incomplete: the API lists at
// most 3,000 files of a pull request, and a push payload carries at most 2,048
// commits. When a list is that long, paths: is taken to match (it fails open):
// running one build too many is cheaper than skipping the one that mattered.
//
// # Templates
//
// Templates are Go text/template over *Event, parsed once at Compile with
// missingkey=error, so a missing map key or field is an error, not "<no value>".
// The functions are listed in funcs.go (see Funcs). Slack text and blocks, and
// http bodies that are JSON, are escaped automatically: see Compile.
package rules
