package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/switchboard-dev/switchboard/envfile"
)

// File names setup writes in the output directory.
const (
	EnvFileName = "github-app.env"
	PEMFileName = "github-app.pem"
)

// Credentials are what GitHub hands back for a new App.
type Credentials struct {
	AppID         int64
	Slug          string
	ClientID      string
	ClientSecret  string
	WebhookSecret string
	PEM           string
	// APIURL is the REST API the App lives on, for github.api_url.
	APIURL string
}

// Files are the paths setup wrote, absolute.
type Files struct {
	Env, PEM string
}

// filesIn returns the absolute paths of the credential files in dir.
func filesIn(dir string) (Files, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Files{}, fmt.Errorf("--out: %w", err)
	}
	return Files{Env: filepath.Join(abs, EnvFileName), PEM: filepath.Join(abs, PEMFileName)}, nil
}

// refuseExisting fails when either file exists and force is off: a second
// setup must not replace the credentials of an App that is running.
func (f Files) refuseExisting(force bool) error {
	if force {
		return nil
	}
	for _, p := range []string{f.Env, f.PEM} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists: setup will not replace existing credentials; pass --force to replace them, or --out another directory", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// envVars is the content of github-app.env. The names are those the
// example configuration reads.
func envVars(c Credentials, pemPath string) []envfile.Var {
	return []envfile.Var{
		{Name: "GITHUB_APP_ID", Value: strconv.FormatInt(c.AppID, 10)},
		{Name: "GITHUB_APP_SLUG", Value: c.Slug},
		{Name: "GITHUB_WEBHOOK_SECRET", Value: c.WebhookSecret},
		{Name: "GITHUB_PRIVATE_KEY_FILE", Value: pemPath},
		{Name: "GITHUB_CLIENT_ID", Value: c.ClientID},
		{Name: "GITHUB_CLIENT_SECRET", Value: c.ClientSecret},
		{Name: "GITHUB_API_URL", Value: c.APIURL},
	}
}

// write writes the key, then the env file that names it, each readable
// only by its owner (0600), each complete or not there at all: it is
// written to a temporary file in the same directory and then moved into
// place; without force, a file that appeared meanwhile is not replaced.
func (f Files) write(c Credentials, force bool) error {
	env, err := envfile.Format(
		"Written by switchboard setup for the GitHub App "+c.Slug+".\n"+
			"It holds the App's secrets: keep it readable only by the user that runs switchboard.\n"+
			"Read it with: switchboard serve --env-file FILE (or systemd EnvironmentFile=, or set -a; . FILE).",
		envVars(c, f.PEM))
	if err != nil {
		return err
	}
	if err := writeFile(f.PEM, []byte(c.PEM), force); err != nil {
		return err
	}
	return writeFile(f.Env, env, force)
}

func writeFile(path string, data []byte, force bool) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; say so in case of a umask
	// or a filesystem that thinks otherwise.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if force {
		return os.Rename(tmp.Name(), path)
	}
	// A hard link fails when path exists, where a rename would replace it.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: setup will not replace existing credentials; pass --force to replace them", path)
		}
		return err
	}
	return os.Remove(tmp.Name())
}

// writeIfAbsent writes data to path unless a file is there; it reports
// whether it wrote.
func writeIfAbsent(path string, data []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return false, err
	}
	return true, f.Close()
}
