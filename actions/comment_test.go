package actions

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCommentRunnerPostsWithMarker(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	job := commentJob("Build queued for 6dcb09b.")
	res, err := run(t, e.set, context.Background(), job)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := e.fake.Comments(ghOwner, ghRepo, ghNumber)
	if len(got) != 1 {
		t.Fatalf("%d comments, want 1", len(got))
	}
	want := "Build queued for 6dcb09b.\n\n<!-- switchboard:72d3162e-cc78-11e3-81ab-4c9367dc0958/pr%20checks/1 -->"
	if got[0].Body != want || got[0].User != "switchboard[bot]" {
		t.Errorf("comment = %q by %s, want %q by the App's bot", got[0].Body, got[0].User, want)
	}
	if !strings.Contains(res.Detail, "#issuecomment-") {
		t.Errorf("Detail = %q, want the comment's URL", res.Detail)
	}
	if n := e.fake.Count("GET " + commentsPath); n != 0 {
		t.Errorf("a first attempt listed the comments %d times; it has nothing to look for", n)
	}
}

func TestCommentMarkerCannotBeBroken(t *testing.T) {
	job := &Job{Delivery: "d/1", Rule: "evil --> <b>x</b> / rule", Index: 3}
	m := CommentMarker(job)
	inner := strings.TrimSuffix(strings.TrimPrefix(m, "<!-- "), " -->")
	if strings.Contains(inner, ">") || strings.Contains(inner, "<") || strings.Count(inner, "/") != 2 {
		t.Fatalf("marker %q: a part escapes the HTML comment or adds a separator", m)
	}
	long := strings.Repeat("x", MaxCommentBody)
	if n := len([]rune(commentBody(long, m))); n > MaxCommentBody {
		t.Fatalf("body with marker is %d characters, over GitHub's %d", n, MaxCommentBody)
	}
	if !strings.HasSuffix(commentBody(long, m), m) {
		t.Fatal("a long body lost its marker")
	}
}

// A comment whose answer never comes (the client times out after GitHub
// created it) is retried as unconfirmed; the retry finds the comment by its
// marker and posts nothing: exactly one comment.
func TestCommentRetriedAfterTimeoutPostsOnce(t *testing.T) {
	e := newGHEnv(t, nil, Deps{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	e.fake.AddComment(ghOwner, ghRepo, ghNumber, "octocat", "first!")
	e.fake.Delay("POST "+commentsPath, 1, 0) // the effect happens, the answer never comes
	job := commentJob("Build queued.")

	_, err := run(t, e.set, context.Background(), job)
	v := wantOutcome(t, err, Retry)
	if !v.MayHaveActed {
		t.Fatalf("timed-out post classified %+v, want MayHaveActed so the retry checks first", v)
	}
	if n := len(e.fake.Comments(ghOwner, ghRepo, ghNumber)); n != 2 {
		t.Fatalf("%d comments after the timed-out post, want 2 (the fake acted)", n)
	}

	// The pipeline runs the next attempt WithInterrupted after an
	// unconfirmed one.
	res, err := run(t, e.set, WithInterrupted(context.Background()), job)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := e.fake.Comments(ghOwner, ghRepo, ghNumber); len(got) != 2 {
		t.Fatalf("%d comments after the retry, want 2 (octocat's and exactly one of ours): %+v", len(got), got)
	}
	if n := e.fake.Count("POST " + commentsPath); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if !strings.Contains(res.Detail, "#issuecomment-") {
		t.Errorf("Detail = %q, want the found comment's URL", res.Detail)
	}
}

// The check pages newest first: the earlier attempt's comment, on the last
// of three pages, is found with two listings, not three.
func TestCommentCheckPagesNewestFirst(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	job := commentJob("Build queued.")
	for i := range 230 {
		e.fake.AddComment(ghOwner, ghRepo, ghNumber, "octocat", "comment "+strconv.Itoa(i))
	}
	// A person quoting the marker does not count: only a bot's comment does.
	e.fake.AddComment(ghOwner, ghRepo, ghNumber, "mallory", "copied "+CommentMarker(job))
	if _, err := run(t, e.set, context.Background(), job); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if _, err := run(t, e.set, WithInterrupted(context.Background()), job); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := e.fake.Count("POST " + commentsPath); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	var pages []string
	for _, r := range e.fake.Requests() {
		if r.Method == http.MethodGet && r.Path == commentsPath {
			pages = append(pages, r.Query)
		}
	}
	if len(pages) != 2 || !strings.Contains(pages[0], "page=1") || !strings.Contains(pages[1], "page=3") {
		t.Fatalf("listings %q, want page 1 then page 3 (the newest)", pages)
	}

	// Without our comment anywhere, an interrupted attempt reads every
	// page, then posts; mallory's copy of the marker does not stop it.
	other := commentJob("Other.")
	other.Index = 9
	e.fake.AddComment(ghOwner, ghRepo, ghNumber, "mallory", "copied "+CommentMarker(other))
	if _, err := run(t, e.set, WithInterrupted(context.Background()), other); err != nil {
		t.Fatalf("interrupted first post: %v", err)
	}
	if n := e.fake.Count("POST " + commentsPath); n != 2 {
		t.Fatalf("%d posts, want 2", n)
	}
}
