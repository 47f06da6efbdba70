package setup

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// manifestJSON turns app.yml into the JSON GitHub's new-App form takes, with
// the addresses of this deployment filled in: the webhook and setup URLs
// from the public URL, the redirect back to the setup server.
// https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest#github-app-manifest-parameters
func manifestJSON(appYML []byte, webhookURL, setupURL, redirectURL string) ([]byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal(appYML, &m); err != nil {
		return nil, fmt.Errorf("app manifest: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("app manifest: empty")
	}
	hook, _ := m["hook_attributes"].(map[string]any)
	if hook == nil {
		hook = map[string]any{"active": true}
	}
	hook["url"] = webhookURL
	m["hook_attributes"] = hook
	m["setup_url"] = setupURL
	m["redirect_url"] = redirectURL
	return json.Marshal(m)
}

// publicBase checks --public-url: an absolute http(s) URL without query,
// fragment or credentials; it returns it without a trailing slash.
func publicBase(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "", fmt.Errorf("--public-url is required: the address GitHub will send webhooks to, such as https://switchboard.example.com")
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return "", fmt.Errorf("--public-url %q must be an absolute http or https URL, such as https://switchboard.example.com", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("--public-url must not hold credentials, a query or a fragment")
	}
	return strings.TrimRight(s, "/"), nil
}

// gitHubSite is where the App is registered: github.com or a GitHub
// Enterprise Server, whose API lives below /api/v3.
type gitHubSite struct {
	web *url.URL // without a trailing slash in Path
	org string
}

// DefaultGitHubURL is github.com.
const DefaultGitHubURL = "https://github.com"

func newSite(githubURL, org string) (gitHubSite, error) {
	if githubURL == "" {
		githubURL = DefaultGitHubURL
	}
	u, err := url.Parse(githubURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return gitHubSite{}, fmt.Errorf("--github-url %q must be an absolute http or https URL, such as https://github.example.com", githubURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	for _, c := range org {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return gitHubSite{}, fmt.Errorf("--org %q is not an organization name", org)
		}
	}
	return gitHubSite{web: u, org: org}, nil
}

// dotCom reports whether the site is github.com, whose API is api.github.com.
func (g gitHubSite) dotCom() bool { return strings.EqualFold(g.web.Host, "github.com") }

// page is an absolute URL of a page of the site.
func (g gitHubSite) page(path string) string { return g.web.String() + path }

// newAppURL is the new-App form's action, with the state parameter.
func (g gitHubSite) newAppURL(state string) string {
	path := "/settings/apps/new"
	if g.org != "" {
		path = "/organizations/" + url.PathEscape(g.org) + "/settings/apps/new"
	}
	return g.page(path) + "?state=" + url.QueryEscape(state)
}

// apiURL is the REST API's base URL, with a trailing slash.
func (g gitHubSite) apiURL() string {
	if g.dotCom() {
		return "https://api.github.com/"
	}
	return g.page("/api/v3/")
}

// installURL is the page that installs the App with this slug. GitHub
// Enterprise Server serves Apps below /github-apps, github.com below /apps.
func (g gitHubSite) installURL(slug string) string {
	if g.dotCom() {
		return g.page("/apps/" + url.PathEscape(slug) + "/installations/new")
	}
	return g.page("/github-apps/" + url.PathEscape(slug) + "/installations/new")
}
