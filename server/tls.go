package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
)

// newTLS returns the listener's TLS configuration for server.tls, or nil
// for plain HTTP. The pair is loaded now, so that a missing file or a key
// that does not match its certificate stops the start with a clear error.
func newTLS(c *config.TLS, log *logrus.Entry) (*tls.Config, error) {
	if c == nil {
		return nil, nil
	}
	r := &certReloader{certFile: c.CertFile, keyFile: c.KeyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	log.WithFields(logrus.Fields{"cert_file": c.CertFile, "key_file": c.KeyFile}).Info("serving HTTPS; the certificate is read again when its files change")
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.getCertificate,
		// The server is started with Serve on a TLS listener, which does
		// not set up HTTP/2: offering h2 would break the connection.
		NextProtos: []string{"http/1.1"},
	}, nil
}

// certReloader hands out the pair read from its files, reading them again
// on the first handshake after either file's modification time or size
// changed: a renewed certificate (certbot, cert-manager's Secret update)
// is served without a restart.
type certReloader struct {
	certFile, keyFile string
	log               *logrus.Entry

	mu     sync.Mutex
	cert   *tls.Certificate
	stamp  [2]fileStamp // of the pair in cert
	failed [2]fileStamp // of the last pair that failed to load, logged once
}

// fileStamp tells one version of a file from the next: a file replaced by
// a rename has another inode even within the filesystem clock's tick.
type fileStamp struct {
	mod   time.Time
	size  int64
	inode uint64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size(), inode(fi)}, nil
}

// load reads the pair; on failure the pair served so far stays.
func (r *certReloader) load() error {
	cs, err := stampOf(r.certFile)
	if err != nil {
		return fmt.Errorf("server.tls.cert_file: %w", err)
	}
	ks, err := stampOf(r.keyFile)
	if err != nil {
		return fmt.Errorf("server.tls.key_file: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.failed = [2]fileStamp{cs, ks}
		// crypto/tls says which half is wrong ("private key does not
		// match public key", "failed to find any PEM data in ..."); it
		// never quotes the key.
		return fmt.Errorf("server.tls: cert_file %s and key_file %s: %w", r.certFile, r.keyFile, err)
	}
	if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil {
		pair.Leaf = leaf
		if time.Now().After(leaf.NotAfter) {
			r.log.WithField("not_after", leaf.NotAfter.UTC().Format(time.RFC3339)).Warn("the TLS certificate has expired")
		}
	}
	r.cert, r.stamp = &pair, [2]fileStamp{cs, ks}
	return nil
}

// getCertificate is tls.Config.GetCertificate.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs, err1 := stampOf(r.certFile)
	ks, err2 := stampOf(r.keyFile)
	now := [2]fileStamp{cs, ks}
	if err1 == nil && err2 == nil && now != r.stamp && now != r.failed {
		if err := r.load(); err != nil {
			// Often the moment between writing the certificate and the
			// key: the next handshake after the key changes tries again.
			r.log.WithError(err).Warn("TLS certificate not reloaded; serving the previous one")
		} else if r.cert.Leaf != nil {
			r.log.WithField("not_after", r.cert.Leaf.NotAfter.UTC().Format(time.RFC3339)).Info("TLS certificate reloaded")
		}
	}
	return r.cert, nil
}

// sameServer compares server settings, server.tls by value: the files a
// pair is read from are fixed at start (their contents reload by
// themselves), so only a change of the paths needs a restart.
func sameServer(a, b config.Server) bool {
	ta, tb := a.TLS, b.TLS
	a.TLS, b.TLS = nil, nil
	if a != b || (ta == nil) != (tb == nil) {
		return false
	}
	return ta == nil || *ta == *tb
}
