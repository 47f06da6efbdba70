package fakegithub

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Documentation URLs GitHub puts in its error bodies.
const (
	docREST       = "https://docs.github.com/rest"
	docTokens     = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	docRateLimits = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	// go-github recognises a secondary rate limit by this URL's suffix.
	docSecondary = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// errorBody is GitHub's JSON error body.
// https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
type errorBody struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url"`
}

// fieldError is one entry of a 422 "Validation Failed" body.
type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, errorBody{Message: message, DocumentationURL: doc})
}

func writeValidation(w http.ResponseWriter, doc string, errs ...fieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, errorBody{Message: "Validation Failed", Errors: errs, DocumentationURL: doc})
}

// caller is who an authenticated request came from.
type caller struct {
	issuer       string // App JWT
	installation int64  // installation token
}

// handler is an endpoint that runs once its caller is authenticated.
type handler func(w http.ResponseWriter, r *http.Request, c caller)

// app guards an endpoint that needs an App JWT: "Authorization: Bearer <JWT>",
// RS256 over the App's key, iss = the App ID. GitHub answers 401 otherwise.
// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app
func (s *Server) app(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || cred == "" {
			writeError(w, http.StatusUnauthorized, msgJWTUndecodable, docREST)
			return
		}
		claims, msg := verifyJWT(cred, s.opts.PublicKey, s.opts.Now())
		x := exchangeOf(r)
		if claims.Issuer != "" && msg != msgJWTUndecodable {
			s.mu.Lock()
			s.requests[x.idx].Issuer = claims.Issuer
			s.mu.Unlock()
		}
		if msg == "" && claims.Issuer != strconv.FormatInt(s.opts.AppID, 10) {
			msg = msgJWTUndecodable
		}
		if msg != "" {
			writeError(w, http.StatusUnauthorized, msg, docREST)
			return
		}
		s.mu.Lock()
		s.requests[x.idx].Auth = "jwt"
		s.mu.Unlock()
		s.faulted(w, r, caller{issuer: claims.Issuer}, h)
	}
}

// installation guards an endpoint that needs an installation token, sent as
// "Authorization: token <t>" or "Bearer <t>". GitHub answers 401 "Bad
// credentials" for a missing, unknown or expired token.
// https://docs.github.com/rest/authentication/authenticating-to-the-rest-api
func (s *Server) installation(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		s.mu.Lock()
		t, ok := s.tokens[cred]
		valid := ok && cred != "" && (strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "Bearer")) &&
			s.opts.Now().Before(t.expiresAt)
		if valid {
			x := exchangeOf(r)
			s.requests[x.idx].Auth = "token"
			s.requests[x.idx].Installation = t.installation
		}
		s.mu.Unlock()
		if !valid {
			writeError(w, http.StatusUnauthorized, "Bad credentials", docREST)
			return
		}
		s.faulted(w, r, caller{installation: t.installation}, h)
	}
}

// issuedToken is an installation token the fake handed out.
type issuedToken struct {
	installation int64
	expiresAt    time.Time
}

// TokenExchange is one installation token the fake issued.
type TokenExchange struct {
	// Token is the token issued, so tests can look for it where it must
	// not appear (logs, errors).
	Token        string
	Installation int64
	// Issuer is the iss claim of the App JWT the token was exchanged with.
	Issuer    string
	ExpiresAt time.Time
	// Repositories and Permissions are the restrictions the request asked
	// for; empty when it asked for none (the installation's full access).
	Repositories []string
	Permissions  map[string]string
	Time         time.Time
}

// TokenExchanges returns the installation tokens issued so far, in order.
func (s *Server) TokenExchanges() []TokenExchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenExchange(nil), s.exchanges...)
}

// defaultPermissions are those of Switchboard's app.yml manifest.
func defaultPermissions() map[string]string {
	return map[string]string{
		"contents": "read", "metadata": "read", "pull_requests": "write", "issues": "write", "statuses": "write",
	}
}

// createToken answers POST /app/installations/{installation_id}/access_tokens
// with 201 {token, expires_at, permissions, repository_selection}.
// https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "Not Found", docTokens)
		return
	}
	var body struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON", docTokens)
			return
		}
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		writeError(w, http.StatusInternalServerError, "Server Error", docREST)
		return
	}
	token := "ghs_" + hex.EncodeToString(buf)
	now := s.opts.Now()
	s.mu.Lock()
	exp := now.Add(s.tokenTTL).Truncate(time.Second)
	s.tokens[token] = issuedToken{installation: id, expiresAt: exp}
	s.exchanges = append(s.exchanges, TokenExchange{
		Token: token, Installation: id, Issuer: c.issuer, ExpiresAt: exp,
		Repositories: body.Repositories, Permissions: body.Permissions, Time: now,
	})
	s.mu.Unlock()
	perms := body.Permissions
	if len(perms) == 0 {
		perms = defaultPermissions()
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                token,
		"expires_at":           exp.UTC().Format(time.RFC3339),
		"permissions":          perms,
		"repository_selection": "all",
	})
}
