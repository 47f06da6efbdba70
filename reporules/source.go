package reporules

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/rules"
)

// Contents reads one file of a repository through GitHub's contents API;
// githubapp.Creator implements it. etag makes the request conditional.
// status is 200 (data, blob sha and new ETag set), 304 (unchanged) or 404
// (no such file); err is set for any other answer, with its status when
// there was one.
type Contents interface {
	FileContents(ctx context.Context, installation int64, owner, repo, path, ref, etag string) (data []byte, sha, newETag string, status int, err error)
}

// Reporter tells the authors of a repository's file, on the commit that
// changed it, whether it was taken: problems nil means it was.
type Reporter interface {
	ReportConfig(ctx context.Context, installation int64, owner, repo, sha string, problems config.Errors) error
}

// Options tune a Source; the zero value is usable.
type Options struct {
	// MaxRepos bounds the repositories cached; default 1000. The least
	// recently used is dropped first.
	MaxRepos int
	// Revalidate is how long a cached file is used without asking GitHub;
	// after it a conditional request (ETag) revalidates it. Default 1m.
	Revalidate time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Reporter, when set, reports each push to the default branch that
	// changes the file.
	Reporter Reporter
	// Registerer, when set, receives the Source's metrics.
	Registerer prometheus.Registerer
}

// Source gives the rules of each repository. It is safe for concurrent
// use.
type Source struct {
	contents Contents
	opts     Options
	log      *logrus.Entry
	metrics  *metrics

	mu      sync.Mutex
	entries map[string]*list.Element // lower-case owner/repo -> *entry
	order   *list.List               // most recently used first
}

// NewSource returns a Source reading files with c.
func NewSource(c Contents, log *logrus.Entry, o Options) *Source {
	if o.MaxRepos <= 0 {
		o.MaxRepos = 1000
	}
	if o.Revalidate <= 0 {
		o.Revalidate = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Source{contents: c, opts: o, log: log, entries: map[string]*list.Element{}, order: list.New()}
	s.metrics = newMetrics(o.Registerer, s)
	return s
}

// fileState is one repository's copy of the file as last read.
type fileState struct {
	found     bool
	etag, sha string
	data      []byte
}

// entry is the cached state of one repository. Its mutex is held while
// it is refreshed, so two deliveries of one repository read the file once.
type entry struct {
	key string
	mu  sync.Mutex

	checked   time.Time
	repo, org fileState

	valid       *Rules // the rules in use; nil: none
	validData   []byte
	compiledFor *config.Config
	refusedSHA  string
	refused     error
}

// Result is what applies to one delivery.
type Result struct {
	// Rules are the repository's rules; nil when it has none.
	Rules *Rules
	// Note says why a newer version of the file was refused, or that it
	// could not be read; empty when the newest was taken.
	Note string
}

// For returns the repository rules that apply to ev under central's
// policy: ev's repository's own file, or its organisation's. Nothing when
// repo_rules is not enabled or ev has no repository. A push to the default
// branch that touches the file reads it at the pushed commit, so that push
// runs the new rules (or, when refused, is reported on that commit). An
// error means the file could not be read and there is no earlier copy:
// the delivery is worth another try.
func (s *Source) For(ctx context.Context, central *config.Config, ev *rules.Event) (*Result, error) {
	if central == nil || !central.RepoRules.Enabled || ev.Repository.Owner == "" || ev.Repository.Name == "" || ev.Installation == 0 {
		return &Result{}, nil
	}
	owner, repo := ev.Repository.Owner, ev.Repository.Name
	touched := touchesFile(ev)
	if touched && strings.EqualFold(repo, OrgRepo) {
		s.staleOrg(owner)
	}
	e := s.entry(strings.ToLower(owner + "/" + repo))
	e.mu.Lock()
	defer e.mu.Unlock()

	now := s.opts.Now()
	log := s.log.WithField(logfield.Repo, owner+"/"+repo)
	switch {
	case touched:
		if err := s.read(ctx, ev.Installation, owner, repo, ev.SHA, &e.repo, false); err != nil {
			return s.stale(e, err, log)
		}
		if !e.repo.found {
			if err := s.read(ctx, ev.Installation, owner, OrgRepo, "", &e.org, true); err != nil {
				return s.stale(e, err, log)
			}
		}
		e.checked = now
	case e.checked.IsZero() || now.Sub(e.checked) >= s.opts.Revalidate:
		if err := s.read(ctx, ev.Installation, owner, repo, "", &e.repo, true); err != nil {
			return s.stale(e, err, log)
		}
		if !e.repo.found {
			if err := s.read(ctx, ev.Installation, owner, OrgRepo, "", &e.org, true); err != nil {
				return s.stale(e, err, log)
			}
		}
		e.checked = now
	}
	problems := s.apply(e, central, owner, repo)
	if touched && s.opts.Reporter != nil && e.repo.found {
		if err := s.opts.Reporter.ReportConfig(ctx, ev.Installation, owner, repo, ev.SHA, problems); err != nil {
			log.WithError(err).Warn("could not report the check of " + Path + " on the pushed commit")
		}
	}
	return &Result{Rules: e.valid, Note: e.note()}, nil
}

// apply compiles the file now current, when it is new, and keeps the
// last valid rules when it is refused. It returns the problems of the
// current file (nil when it was taken or there is none).
func (s *Source) apply(e *entry, central *config.Config, owner, repo string) config.Errors {
	cur, from := &e.repo, owner+"/"+repo
	if !cur.found {
		cur, from = &e.org, owner+"/"+OrgRepo
	}
	if !cur.found {
		e.valid, e.validData, e.refusedSHA, e.refused, e.compiledFor = nil, nil, "", nil, central
		return nil
	}
	if e.compiledFor != central && e.valid != nil {
		// The central configuration was reloaded: its policy may differ.
		r, err := Compile(central, owner, repo, e.valid.From, e.valid.SHA, e.validData)
		if err != nil {
			e.valid, e.validData = nil, nil
		} else {
			e.valid = r
		}
	}
	if e.compiledFor == central {
		switch {
		case e.valid != nil && e.valid.SHA == cur.sha && e.valid.From == from:
			return nil
		case e.refusedSHA == cur.sha:
			return asErrors(e.refused)
		}
	}
	e.compiledFor = central
	r, err := Compile(central, owner, repo, from, cur.sha, cur.data)
	if err != nil {
		s.metrics.refused.Inc()
		e.refusedSHA, e.refused = cur.sha, err
		return asErrors(err)
	}
	e.valid, e.validData, e.refusedSHA, e.refused = r, cur.data, "", nil
	return nil
}

func asErrors(err error) config.Errors {
	var es config.Errors
	if errors.As(err, &es) {
		return es
	}
	if err != nil {
		return config.Errors{{Pos: config.Position{File: Path, Line: 1, Column: 1}, Msg: err.Error()}}
	}
	return nil
}

// note says why the rules in use are not the newest file's.
func (e *entry) note() string {
	if e.refused == nil {
		return ""
	}
	es := asErrors(e.refused)
	n := ""
	if len(es) > 1 {
		n = fmt.Sprintf(" (and %d more)", len(es)-1)
	}
	if e.valid != nil {
		return fmt.Sprintf("newer blob %s refused: %s%s; the last valid version applies", e.refusedSHA, es[0].Error(), n)
	}
	return fmt.Sprintf("blob %s refused: %s%s; no rules from the repository apply", e.refusedSHA, es[0].Error(), n)
}

// stale answers when the file could not be read: the copy read earlier
// when there is one, else the error.
func (s *Source) stale(e *entry, err error, log *logrus.Entry) (*Result, error) {
	if e.checked.IsZero() {
		return nil, fmt.Errorf("read %s: %w", Path, err)
	}
	log.WithError(err).Warn("could not revalidate " + Path + "; the copy read earlier applies")
	note := "could not read the newest version: " + err.Error()
	if n := e.note(); n != "" {
		note = n + "; " + note
	}
	return &Result{Rules: e.valid, Note: note}, nil
}

// read fetches the file of owner/repo at ref into st, conditionally when
// asked and st has an ETag. An answer GitHub will repeat (403: the App may
// not read contents) counts as no file; others are errors.
func (s *Source) read(ctx context.Context, inst int64, owner, repo, ref string, st *fileState, conditional bool) error {
	etag := ""
	if conditional && st.found {
		etag = st.etag
	}
	data, sha, newETag, status, err := s.contents.FileContents(ctx, inst, owner, repo, Path, ref, etag)
	s.metrics.reads.WithLabelValues(answerLabel(status, err)).Inc()
	switch {
	case err == nil && status == http.StatusNotModified:
		return nil
	case err == nil && status == http.StatusOK:
		*st = fileState{found: true, etag: newETag, sha: sha, data: data}
		if ref != "" {
			// The ETag is of that commit's answer, not the branch's.
			st.etag = ""
		}
		return nil
	case err == nil && status == http.StatusNotFound,
		err != nil && status >= 400 && status < 500 && status != http.StatusTooManyRequests:
		*st = fileState{}
		return nil
	case err == nil:
		return fmt.Errorf("unexpected answer %d", status)
	}
	return err
}

// answerLabel names a contents API answer for the reads metric.
func answerLabel(status int, err error) string {
	switch {
	case err != nil:
		return "error"
	case status == http.StatusOK:
		return "ok"
	case status == http.StatusNotModified:
		return "not_modified"
	case status == http.StatusNotFound:
		return "not_found"
	}
	return "error"
}

// entry returns the cache entry of key, made most recently used, adding
// it (and dropping the least recently used past MaxRepos) when new.
func (s *Source) entry(key string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		s.order.MoveToFront(el)
		return el.Value.(*entry)
	}
	e := &entry{key: key}
	s.entries[key] = s.order.PushFront(e)
	for s.order.Len() > s.opts.MaxRepos {
		last := s.order.Back()
		s.order.Remove(last)
		delete(s.entries, last.Value.(*entry).key)
	}
	return e
}

// Len is how many repositories are cached.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

// staleOrg makes every cached repository of owner revalidate at its next
// event, after a push changed the organisation's file.
func (s *Source) staleOrg(owner string) {
	prefix := strings.ToLower(owner) + "/"
	s.mu.Lock()
	var es []*entry
	for k, el := range s.entries {
		if strings.HasPrefix(k, prefix) {
			es = append(es, el.Value.(*entry))
		}
	}
	s.mu.Unlock()
	for _, e := range es {
		e.mu.Lock()
		e.checked = time.Time{}
		e.mu.Unlock()
	}
}

// touchesFile reports whether ev is a push to its repository's default
// branch that adds, changes or removes the file (or lists too many commits
// to tell).
func touchesFile(ev *rules.Event) bool {
	if ev.Event != "push" || ev.Branch == "" || strings.Trim(ev.SHA, "0") == "" {
		return false
	}
	def := ev.Repository.DefaultBranch
	if def == "" || ev.Branch != def {
		return false
	}
	if len(ev.Commits) >= 20 {
		return true
	}
	for _, c := range ev.Commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if f == Path {
					return true
				}
			}
		}
	}
	return false
}
