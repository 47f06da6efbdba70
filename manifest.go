// Package switchboard holds the files the switchboard binary carries with it.
package switchboard

import (
	"bytes"
	_ "embed" // app.yml
)

//go:embed app.yml
var appYML []byte

//go:embed examples/switchboard.yml
var exampleConfig []byte

// AppManifest returns app.yml, the GitHub App manifest, as written: setup
// registers the App from it.
func AppManifest() []byte { return bytes.Clone(appYML) }

// ExampleConfig returns examples/switchboard.yml: a configuration that runs
// with the variables setup writes to github-app.env, or with none but
// GITHUB_WEBHOOK_SECRET.
func ExampleConfig() []byte { return bytes.Clone(exampleConfig) }
