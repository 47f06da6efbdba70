package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/switchboard-dev/switchboard/adminclient"
)

// loginView is the data of the login page.
type loginView struct {
	CSRF     string
	Error    string
	LoggedIn bool
}

// loginForm shows the form, with a fresh login nonce in a cookie and its
// MAC in the form: a page on another site can neither read nor forge the
// pair, so it cannot log a browser in under its own choice.
func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	u.showLogin(w, r, http.StatusOK, "")
}

func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce, err := randomText()
	if err != nil {
		u.o.Logger.WithError(err).Error("ui: no randomness for the login form")
		u.fail(w, r, http.StatusInternalServerError, "Error", "")
		return
	}
	setCookie(w, r, loginCookie, nonce, 3600)
	u.render(w, status, "login", loginView{CSRF: u.keys().loginCSRF(nonce), Error: msg})
}

// login checks the token field; a right one starts a session.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		u.showLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameCSRF(r.PostForm.Get("csrf"), u.keys().loginCSRF(c.Value)) {
		u.showLogin(w, r, http.StatusForbidden, "The form expired or did not come from this page; try again.")
		return
	}
	if !sameToken(r.PostForm.Get("token"), u.o.Token()) {
		u.o.Logger.WithField("remote", r.RemoteAddr).Warn("ui: login with a wrong admin token")
		u.showLogin(w, r, http.StatusUnauthorized, "Wrong token.")
		return
	}
	value, err := u.keys().newSession(u.o.Now().Add(u.o.SessionTTL))
	if err != nil {
		u.o.Logger.WithError(err).Error("ui: no randomness for a session")
		u.fail(w, r, http.StatusInternalServerError, "Error", "")
		return
	}
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, sessionCookie, value, int(u.o.SessionTTL.Seconds()))
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, _ session) {
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// filterOf reads the list's filters from the query.
func filterOf(r *http.Request) adminclient.Filter {
	q := r.URL.Query()
	return adminclient.Filter{
		Repo:   strings.TrimSpace(q.Get("repo")),
		Event:  strings.TrimSpace(q.Get("event")),
		Status: strings.TrimSpace(q.Get("status")),
		Q:      strings.TrimSpace(q.Get("q")),
		Cursor: q.Get("cursor"),
		Limit:  pageSize,
	}
}

func (u *UI) list(w http.ResponseWriter, r *http.Request, s session) {
	f := filterOf(r)
	v := listView{Filter: f, CSRF: s.csrf, LoggedIn: true, Statuses: adminclient.Statuses(),
		PollMS: int(u.o.PollInterval.Milliseconds()), PollText: u.o.PollInterval.String(), Live: f.Cursor == ""}
	page, err := u.client().List(r.Context(), f)
	var ae *adminclient.APIError
	switch {
	case err == nil:
		v.Rows = u.rowsOf(page.Deliveries)
		if page.NextCursor != "" {
			q := r.URL.Query()
			q.Set("cursor", page.NextCursor)
			v.Older = "/ui/?" + q.Encode()
		}
	case asAPIError(err, &ae) && ae.Status == http.StatusBadRequest:
		// A bad filter is the user's to fix: show it above the empty list.
		v.Error = ae.Message
	default:
		u.apiFail(w, r, err)
		return
	}
	q := r.URL.Query()
	q.Del("cursor")
	v.RowsURL = "/ui/rows?" + q.Encode()
	u.render(w, http.StatusOK, "list", v)
}

// rows is the list's body alone, which the page fetches to refresh itself.
func (u *UI) rows(w http.ResponseWriter, r *http.Request, _ session) {
	f := filterOf(r)
	f.Cursor = ""
	page, err := u.client().List(r.Context(), f)
	if err != nil {
		var ae *adminclient.APIError
		if asAPIError(err, &ae) {
			http.Error(w, ae.Message, ae.Status)
			return
		}
		u.o.Logger.WithError(err).Error("ui: admin API call failed")
		http.Error(w, "the admin API did not answer", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := u.pages["list"].ExecuteTemplate(w, "rows", u.rowsOf(page.Deliveries)); err != nil {
		u.o.Logger.WithError(err).Error("ui: rendering rows failed")
	}
}

func (u *UI) delivery(w http.ResponseWriter, r *http.Request, s session) {
	id := mux.Vars(r)["id"]
	d, err := u.client().Get(r.Context(), id)
	if err != nil {
		u.apiFail(w, r, err)
		return
	}
	v := u.detailOf(d)
	v.CSRF = s.csrf
	v.LoggedIn = true
	switch r.URL.Query().Get("done") {
	case "replayed":
		v.Notice = "Replay queued: this is the new delivery."
	case "retried":
		v.Notice = "Retry queued."
	}
	u.render(w, http.StatusOK, "delivery", v)
}

func (u *UI) replay(w http.ResponseWriter, r *http.Request, _ session) {
	res, err := u.client().Replay(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		u.apiFail(w, r, err)
		return
	}
	http.Redirect(w, r, deliveryURL(res.Delivery)+"?done=replayed", http.StatusSeeOther)
}

func (u *UI) retry(w http.ResponseWriter, r *http.Request, _ session) {
	if _, err := u.client().Retry(r.Context(), mux.Vars(r)["id"]); err != nil {
		u.apiFail(w, r, err)
		return
	}
	// Back to the delivery the button was on; the field only names a
	// path segment under /ui/deliveries/, so it cannot send anyone away.
	back := "/ui/"
	if d := r.PostForm.Get("delivery"); d != "" {
		back = deliveryURL(d) + "?done=retried"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// deliveryURL is the page of delivery id.
func deliveryURL(id string) string { return "/ui/deliveries/" + url.PathEscape(id) }
