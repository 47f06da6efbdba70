// Package switchboard holds the files the switchboard binary carries with it.
package switchboard

import (
	"bytes"
	_ "embed" // app.yml
)

//go:embed app.yml
var appYML []byte

// AppManifest returns app.yml, the GitHub App manifest, as written: setup
// registers the App from it.
func AppManifest() []byte { return bytes.Clone(appYML) }
