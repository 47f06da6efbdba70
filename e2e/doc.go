// Package e2e holds end-to-end tests: the real server wiring (server.Run, or
// the built binary) over real HTTP on loopback, a real SQLite file or the
// Postgres server named by SWITCHBOARD_TEST_POSTGRES, and in-process fakes of
// Jenkins, Slack and GitHub that follow those services' documented APIs.
package e2e
