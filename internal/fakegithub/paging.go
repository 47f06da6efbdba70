package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page-based paging as GitHub does it: per_page (default 30, at most 100),
// page (from 1), and a Link header with first, prev, next and last.
// https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
const (
	defaultPerPage = 30
	maxPerPage     = 100
)

func perPage(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	switch {
	case err != nil || n <= 0:
		return defaultPerPage
	case n > maxPerPage:
		return maxPerPage
	}
	return n
}

// pageBounds returns the slice bounds of the requested page of total items,
// and sets the Link header that leads to the others.
func pageBounds(w http.ResponseWriter, r *http.Request, total int) (from, to int) {
	size := perPage(r)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max(1, (total+size-1)/size)
	var links []string
	link := func(p int, rel string) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(size))
		links = append(links, fmt.Sprintf(`<%s>; rel="%s"`, selfURL(r, q), rel))
	}
	if page > 1 {
		link(1, "first")
		link(min(page-1, last), "prev")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	from = min((page-1)*size, total)
	to = min(from+size, total)
	return from, to
}

// selfURL is the absolute URL of this request's endpoint with query q.
func selfURL(r *http.Request, q url.Values) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: exchangeOf(r).full, RawQuery: q.Encode()}
	return u.String()
}
