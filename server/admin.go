package server

import (
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/admin"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// mountAdmin mounts the admin API under /api/v1/ and the web page under
// /ui/ when server.admin_token is set; otherwise it mounts neither, so
// both fall to the router's 404, and says so. Like the rest of server:,
// the token is read at start.
func mountAdmin(router *mux.Router, cfg *config.Config, st *store.Store, log *logrus.Entry, now func() time.Time) error {
	token := string(cfg.Server.AdminToken)
	if token == "" {
		log.Info("admin API and web page are off (set server.admin_token to turn them on)")
		return nil
	}
	tokenFunc := func() string { return token }
	api, err := admin.New(admin.Options{Store: st, Token: tokenFunc, Logger: log.WithField(logfield.Component, "admin"), Now: now})
	if err != nil {
		return err
	}
	router.PathPrefix(admin.Prefix).Handler(api)
	if err := mountUI(router, api, tokenFunc, log); err != nil {
		return err
	}
	log.WithField("paths", []string{admin.Prefix, "/ui/"}).Info("admin API and web page on")
	return nil
}
