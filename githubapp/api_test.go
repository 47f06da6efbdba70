package githubapp_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

func TestPullRequestFilesPagesThroughAll(t *testing.T) {
	e := newEnv(t, nil, nil)
	files := make([]fakegithub.File, 250)
	want := []string{}
	for i := range files {
		files[i] = fakegithub.File{Filename: fmt.Sprintf("src/f%03d.go", i)}
		want = append(want, files[i].Filename)
	}
	files[3] = fakegithub.File{Filename: "docs/new.md", Status: "renamed", PreviousFilename: "docs/old.md"}
	want[3] = "docs/new.md"
	want = slices.Insert(want, 4, "docs/old.md")
	e.gh.SetPullRequestFiles("acme", "widgets", 7, files)

	got, complete, err := e.c.PullRequestFiles(context.Background(), 31, "acme", "widgets", 7)
	if err != nil {
		t.Fatal(err)
	}
	if !complete {
		t.Error("a list under GitHub's cap reported incomplete")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("files: got %d names %v..., want %d names %v...", len(got), got[:min(6, len(got))], len(want), want[:6])
	}
	var pages []string
	for _, r := range e.gh.Requests() {
		if r.Path == "/repos/acme/widgets/pulls/7/files" {
			q, _ := url.ParseQuery(r.Query)
			if q.Get("per_page") != "100" {
				t.Errorf("per_page = %q, want 100", q.Get("per_page"))
			}
			pages = append(pages, q.Get("page"))
		}
	}
	if !slices.Equal(pages, []string{"1", "2", "3"}) {
		t.Errorf("pages fetched = %v, want [1 2 3]", pages)
	}
}

// Renames list their previous names too, but only the files GitHub lists
// count against its cap: 2,000 renames are 4,000 names and complete.
func TestPullRequestFilesRenamesDoNotCountTwice(t *testing.T) {
	e := newEnv(t, nil, nil)
	files := make([]fakegithub.File, 2000)
	for i := range files {
		files[i] = fakegithub.File{Filename: "new/f" + strconv.Itoa(i), Status: "renamed", PreviousFilename: "old/f" + strconv.Itoa(i)}
	}
	e.gh.SetPullRequestFiles("acme", "widgets", 9, files)
	got, complete, err := e.c.PullRequestFiles(context.Background(), 31, "acme", "widgets", 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4000 || !complete {
		t.Fatalf("got %d names, complete %v; want 4000, complete", len(got), complete)
	}
}

func TestPullRequestFilesStopsAtGitHubsCap(t *testing.T) {
	e := newEnv(t, nil, nil)
	files := make([]fakegithub.File, githubapp.MaxPullRequestFiles+50)
	for i := range files {
		files[i] = fakegithub.File{Filename: "f" + strconv.Itoa(i)}
	}
	e.gh.SetPullRequestFiles("acme", "widgets", 8, files)
	got, complete, err := e.c.PullRequestFiles(context.Background(), 31, "acme", "widgets", 8)
	if err != nil {
		t.Fatal(err)
	}
	if complete {
		t.Error("a list cut at GitHub's cap reported complete")
	}
	if len(got) != githubapp.MaxPullRequestFiles || got[len(got)-1] != "f2999" {
		t.Fatalf("got %d files ending %q, want 3000 ending f2999", len(got), got[len(got)-1])
	}
	if n := e.gh.Count("GET /repos/acme/widgets/pulls/8/files"); n != 30 {
		t.Errorf("pages fetched = %d, want 30", n)
	}
	if !strings.Contains(e.logs.String(), "3,000") {
		t.Errorf("no warning about the cap in the log: %s", e.logs.String())
	}
}

func TestPullRequestFilesRefusesOddNames(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, bad := range [][2]string{{"..", "x"}, {"acme", "a/b"}, {"acme", ""}, {"ac me", "x"}} {
		if _, _, err := e.c.PullRequestFiles(context.Background(), 1, bad[0], bad[1], 1); err == nil {
			t.Errorf("PullRequestFiles(%q, %q) succeeded", bad[0], bad[1])
		}
	}
	if n := len(e.gh.Requests()); n != 0 {
		t.Errorf("%d requests reached GitHub, want none", n)
	}
}

func TestHookDeliveriesPagesByCursor(t *testing.T) {
	e := newEnv(t, nil, nil)
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		e.gh.AddDelivery(fakegithub.Delivery{
			GUID: fmt.Sprintf("guid-%d", i), DeliveredAt: base.Add(time.Duration(i) * time.Minute),
			Status: "OK", StatusCode: 202, Event: "push", InstallationID: 3,
		})
	}
	var guids []string
	cursor, calls := "", 0
	for {
		ds, next, err := e.c.HookDeliveries(context.Background(), cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, d := range ds {
			guids = append(guids, d.GetGUID())
		}
		if next == "" {
			break
		}
		if calls > 5 {
			t.Fatal("cursor never ends")
		}
		cursor = next
	}
	if want := []string{"guid-4", "guid-3", "guid-2", "guid-1", "guid-0"}; !slices.Equal(guids, want) {
		t.Fatalf("guids = %v, want %v (newest first)", guids, want)
	}
	if calls != 3 {
		t.Errorf("pages = %d, want 3", calls)
	}
	for _, r := range e.gh.Requests() {
		if r.Auth != "jwt" || r.Issuer != strconv.Itoa(appID) {
			t.Errorf("%s %s authenticated as %q issuer %q, want the App JWT", r.Method, r.Path, r.Auth, r.Issuer)
		}
	}
}

func TestRedeliver(t *testing.T) {
	e := newEnv(t, nil, nil)
	d := e.gh.AddDelivery(fakegithub.Delivery{GUID: "lost-1", DeliveredAt: time.Now(), Status: "Invalid HTTP Response: 503", StatusCode: 503, Event: "push"})
	if err := e.c.Redeliver(context.Background(), d.ID); err != nil {
		t.Fatalf("Redeliver: %v (a 202 is success)", err)
	}
	rs := e.gh.Redeliveries()
	if len(rs) != 1 || rs[0].DeliveryID != d.ID || rs[0].GUID != "lost-1" {
		t.Fatalf("redeliveries = %+v, want one of delivery %d", rs, d.ID)
	}
	err := e.c.Redeliver(context.Background(), d.ID+100)
	if err == nil || githubapp.StatusCode(err) != 404 {
		t.Fatalf("Redeliver(unknown) = %v (status %d), want a 404", err, githubapp.StatusCode(err))
	}
}
