package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// Bounds on the text filters of the list.
const (
	maxRepoLen  = 200
	maxEventLen = 100
	maxTextLen  = 200
)

// badQuery is a 400 naming the parameter.
type badQuery struct{ param, msg string }

// Error names the parameter first.
func (e *badQuery) Error() string { return e.param + ": " + e.msg }

func filterOf(q url.Values) (store.DeliveryFilter, error) {
	f := store.DeliveryFilter{Repo: q.Get("repo"), Event: q.Get("event"), Status: q.Get("status"), Text: q.Get("q"), Cursor: q.Get("cursor")}
	switch {
	case len(f.Repo) > maxRepoLen:
		return f, &badQuery{"repo", "longer than " + strconv.Itoa(maxRepoLen) + " bytes"}
	case len(f.Event) > maxEventLen:
		return f, &badQuery{"event", "longer than " + strconv.Itoa(maxEventLen) + " bytes"}
	case len(f.Text) > maxTextLen:
		return f, &badQuery{"q", "longer than " + strconv.Itoa(maxTextLen) + " bytes"}
	}
	if f.Status != "" {
		ok := false
		for _, s := range store.Statuses() {
			ok = ok || s == f.Status
		}
		if !ok {
			return f, &badQuery{"status", "must be one of queued, running, failed, error, succeeded, no_match"}
		}
	}
	if l := q.Get("limit"); l != "" || q.Has("limit") {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return f, &badQuery{"limit", "must be an integer from 1 to " + strconv.Itoa(store.MaxPageSize)}
		}
		f.Limit = n
	}
	return f, nil
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	f, err := filterOf(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	page, err := a.store.ListDeliveries(ctx, f)
	if errors.Is(err, store.ErrBadCursor) {
		writeError(w, http.StatusBadRequest, "cursor: not a cursor this server made")
		return
	}
	if err != nil {
		a.unavailable(w, err, "list deliveries")
		return
	}
	out := listReply{Deliveries: make([]listItem, 0, len(page.Deliveries)), NextCursor: page.NextCursor}
	for i := range page.Deliveries {
		d := &page.Deliveries[i]
		out.Deliveries = append(out.Deliveries, listItem{summary: summaryOf(d), Actions: countsOf(d.Actions)})
	}
	writeJSON(w, http.StatusOK, out)
}

// pathID is the unescaped {id} of the route.
func pathID(r *http.Request) (string, bool) {
	id, err := url.PathUnescape(mux.Vars(r)["id"])
	return id, err == nil && id != ""
}

func (a *API) show(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "delivery not found")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	d, err := a.store.DeliveryHistory(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "delivery not found")
		return
	}
	if err != nil {
		a.unavailable(w, err, "read delivery")
		return
	}
	writeJSON(w, http.StatusOK, detailOf(d))
}

func (a *API) replay(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "delivery not found")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	newID, err := a.store.ReplayDelivery(ctx, id, a.now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "delivery not found")
		return
	}
	if err != nil {
		a.unavailable(w, err, "replay")
		return
	}
	a.log.WithFields(logrus.Fields{logfield.Delivery: newID, "replay_of": id}).Info("delivery replayed")
	writeJSON(w, http.StatusAccepted, replayReply{Delivery: newID, ReplayOf: id})
}

func (a *API) retry(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "action not found")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	err := a.store.RetryAction(ctx, id)
	var nr *store.NotRetryableError
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "action not found")
		return
	case errors.As(err, &nr):
		writeError(w, http.StatusConflict, nr.Error())
		return
	case err != nil:
		a.unavailable(w, err, "retry action")
		return
	}
	a.log.WithField("action_id", id).Info("action retried by hand")
	writeJSON(w, http.StatusAccepted, retryReply{Action: id, State: store.StateQueued})
}

// unavailable logs a store failure once and answers 503.
func (a *API) unavailable(w http.ResponseWriter, err error, op string) {
	a.log.WithError(err).WithField("op", op).Error("admin API: store failed")
	writeError(w, http.StatusServiceUnavailable, "store unavailable")
}
