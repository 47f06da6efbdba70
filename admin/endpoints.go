package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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
	if f.Status != "" && !slices.Contains(store.Statuses(), f.Status) {
		return f, &badQuery{"status", "must be one of " + strings.Join(store.Statuses(), ", ")}
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
	if a.storeFailed(w, err, "not found", "list deliveries") {
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

// withID runs fn with the route's {id} and a context bounded by the
// store's timeout; an id that does not unescape is answered 404 with
// notFound, as an unknown one is.
func (a *API) withID(w http.ResponseWriter, r *http.Request, notFound string, fn func(ctx context.Context, id string)) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	fn(ctx, id)
}

func (a *API) show(w http.ResponseWriter, r *http.Request) {
	const notFound = "delivery not found"
	a.withID(w, r, notFound, func(ctx context.Context, id string) {
		d, err := a.store.DeliveryHistory(ctx, id)
		if a.storeFailed(w, err, notFound, "read delivery") {
			return
		}
		writeJSON(w, http.StatusOK, detailOf(d))
	})
}

func (a *API) replay(w http.ResponseWriter, r *http.Request) {
	const notFound = "delivery not found"
	a.withID(w, r, notFound, func(ctx context.Context, id string) {
		newID, err := a.store.ReplayDelivery(ctx, id, a.now())
		if a.storeFailed(w, err, notFound, "replay") {
			return
		}
		a.log.WithFields(logrus.Fields{logfield.Delivery: newID, "replay_of": id}).Info("delivery replayed")
		writeJSON(w, http.StatusAccepted, replayReply{Delivery: newID, ReplayOf: id})
	})
}

func (a *API) retry(w http.ResponseWriter, r *http.Request) {
	const notFound = "action not found"
	a.withID(w, r, notFound, func(ctx context.Context, id string) {
		if a.storeFailed(w, a.store.RetryAction(ctx, id), notFound, "retry action") {
			return
		}
		a.log.WithField("action_id", id).Info("action retried by hand")
		writeJSON(w, http.StatusAccepted, retryReply{Action: id, State: store.StateQueued})
	})
}

// storeFailed answers err from the store and reports whether there was
// one: an unknown id is 404 with notFound, a cursor the store cannot read
// 400, a retry the action's state refuses 409, anything else 503.
func (a *API) storeFailed(w http.ResponseWriter, err error, notFound, op string) bool {
	var refused *store.NotRetryableError
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, notFound)
	case errors.Is(err, store.ErrBadCursor):
		writeError(w, http.StatusBadRequest, "cursor: not a cursor this server made")
	case errors.As(err, &refused):
		writeError(w, http.StatusConflict, refused.Error())
	default:
		a.unavailable(w, err, op)
	}
	return true
}

// unavailable logs a store failure once and answers 503.
func (a *API) unavailable(w http.ResponseWriter, err error, op string) {
	a.log.WithError(err).WithField("op", op).Error("admin API: store failed")
	writeError(w, http.StatusServiceUnavailable, "store unavailable")
}
