package server

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/ui"
)

// mountUI serves the web page under /ui/ on router. It reads and acts only
// through api, the admin API's handler, with the current admin token.
func mountUI(router *mux.Router, api http.Handler, token func() string, log *logrus.Entry) error {
	page, err := ui.New(ui.Options{Token: token, API: api, Logger: log.WithField(logfield.Component, "ui")})
	if err != nil {
		return err
	}
	router.Handle("/ui", page)
	router.PathPrefix("/ui/").Handler(page)
	return nil
}
