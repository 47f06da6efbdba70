package githubapp

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"unicode"
)

// keyPair holds the App's parsed private key. It has no String method on
// purpose and is never formatted.
type keyPair struct {
	private *rsa.PrivateKey
}

// parsePrivateKey reads the App's PEM key. Its errors say what is wrong with
// the key's shape and never quote any of its bytes: the underlying parser
// errors are dropped for that reason.
func parsePrivateKey(b []byte) (keyPair, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return keyPair{}, fmt.Errorf("githubapp: the App ID is set but the private key is empty")
	}
	block, _ := pem.Decode(b)
	if block == nil {
		hint := ""
		if bytes.Contains(b, []byte(`\n`)) {
			hint = ` (it contains a literal \n: if it comes from an environment variable, keep its real line breaks)`
		}
		return keyPair{}, errors.New("githubapp: the private key is not PEM: expected the .pem file GitHub generated, starting -----BEGIN RSA PRIVATE KEY-----" + hint)
	}
	if _, ok := block.Headers["Proc-Type"]; ok {
		return keyPair{}, errors.New("githubapp: the private key is encrypted; use the unencrypted .pem file GitHub generated")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return keyPair{}, errors.New("githubapp: the private key's RSA PRIVATE KEY block does not parse as PKCS#1")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return keyPair{}, errors.New("githubapp: the private key's PRIVATE KEY block does not parse as PKCS#8")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return keyPair{}, fmt.Errorf("githubapp: the private key is a %T, but GitHub App keys are RSA", k)
		}
		key = rk
	default:
		return keyPair{}, fmt.Errorf("githubapp: the private key file holds a %q PEM block, want RSA PRIVATE KEY", printable(block.Type))
	}
	return keyPair{private: key}, nil
}

// printable bounds a PEM block type for an error message.
func printable(s string) string {
	const maxLen = 40
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if len(out) == maxLen {
			return string(out) + "..."
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		out = append(out, r)
	}
	return string(out)
}
