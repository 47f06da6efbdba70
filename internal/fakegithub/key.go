package fakegithub

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Key is a GitHub App key pair for tests: GitHub keeps the public half, the
// App holds the private half as PEM.
type Key struct {
	// Private is the App's private key.
	Private *rsa.PrivateKey
	// PEM is Private encoded as GitHub hands it out ("RSA PRIVATE KEY", PKCS#1).
	PEM []byte
}

// NewKey generates a 2048-bit RSA key pair, the size GitHub generates for Apps.
func NewKey() (*Key, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("fakegithub: generate key: %w", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	return &Key{Private: k, PEM: p}, nil
}

// PublicKey returns the half that GitHub verifies App JWTs with.
func (k *Key) PublicKey() *rsa.PublicKey { return &k.Private.PublicKey }

// jwtClaims are the claims GitHub reads from an App JWT.
// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
type jwtClaims struct {
	Issuer    string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Messages GitHub answers with when an App JWT is refused (401).
const (
	msgJWTUndecodable = "A JSON web token could not be decoded"
	msgJWTExpired     = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTTooLong     = "'Expiration time' claim ('exp') is too far in the future"
)

// maxJWTLifetime is GitHub's limit on exp: at most 10 minutes in the future.
const maxJWTLifetime = 10 * time.Minute

// verifyJWT checks an RS256 JWT against pub the way GitHub does and returns
// its claims, or the message GitHub would answer with.
func verifyJWT(token string, pub *rsa.PublicKey, now time.Time) (jwtClaims, string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return jwtClaims{}, msgJWTUndecodable
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil || header.Alg != "RS256" {
		return jwtClaims{}, msgJWTUndecodable
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return jwtClaims{}, msgJWTUndecodable
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return jwtClaims{}, msgJWTUndecodable
	}
	var raw struct {
		Iss json.RawMessage `json:"iss"`
		Iat json.Number     `json:"iat"`
		Exp json.Number     `json:"exp"`
	}
	if err := decodeSegment(parts[1], &raw); err != nil {
		return jwtClaims{}, msgJWTUndecodable
	}
	iss, err := issuer(raw.Iss)
	if err != nil {
		return jwtClaims{}, msgJWTUndecodable
	}
	iat, err1 := raw.Iat.Int64()
	exp, err2 := raw.Exp.Int64()
	if err1 != nil || err2 != nil {
		return jwtClaims{}, msgJWTUndecodable
	}
	c := jwtClaims{Issuer: iss, IssuedAt: time.Unix(iat, 0), ExpiresAt: time.Unix(exp, 0)}
	switch {
	case !c.ExpiresAt.After(now):
		return c, msgJWTExpired
	case c.ExpiresAt.Sub(now) > maxJWTLifetime:
		return c, msgJWTTooLong
	}
	return c, ""
}

// issuer reads iss, which GitHub accepts as a number or a string of digits.
func issuer(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
		return "", errors.New("iss is not an integer")
	}
	return n.String(), nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	return d.Decode(v)
}
