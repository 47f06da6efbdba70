package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
)

// pair is a self-signed certificate for 127.0.0.1 and its key, as PEM.
type pair struct {
	cn           string
	certPEM, key []byte
	cert         *x509.Certificate
}

func newPair(t *testing.T, cn string) pair {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return pair{cn: cn, cert: c,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:     pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})}
}

// replace puts data at path the way certificate tools do: a new file
// renamed over the old one.
func replace(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveTLS starts the real server with server.tls on the files in dir.
func serveTLS(t *testing.T, dir string) (addr string, logs *logBuffer, done <-chan error, stop func()) {
	t.Helper()
	cfg := "server:\n  addr: 127.0.0.1:0\n  tls:\n    cert_file: " + filepath.Join(dir, "tls.crt") + "\n    key_file: " + filepath.Join(dir, "tls.key") +
		"\ngithub:\n  webhook_secret: s\n  catch_up_interval: 0s\nstore:\n  dsn: " + filepath.Join(dir, "sb.db") + "\n"
	path := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs = &logBuffer{}
	logger := logrus.New()
	logger.SetOutput(logs)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, Options{ConfigPath: path, LookupEnv: func(string) (string, bool) { return "", false },
			Logger: logrus.NewEntry(logger), NoWatch: true, OnListen: func(a net.Addr) { listening <- a }})
	}()
	select {
	case a := <-listening:
		addr = a.String()
	case err := <-errc:
		cancel()
		ch := make(chan error, 1)
		ch <- err
		return "", logs, ch, func() {}
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return addr, logs, errc, stop
}

// servedCN connects and returns the CommonName of the certificate served.
func servedCN(t *testing.T, addr string, cfg *tls.Config) (string, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

func TestTLSServesAndReloadsWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	one, two := newPair(t, "one"), newPair(t, "two")
	replace(t, filepath.Join(dir, "tls.crt"), one.certPEM)
	replace(t, filepath.Join(dir, "tls.key"), one.key)
	addr, logs, _, _ := serveTLS(t, dir)

	roots := x509.NewCertPool()
	roots.AddCert(one.cert)
	roots.AddCert(two.cert)
	client := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
	if cn, err := servedCN(t, addr, client); err != nil || cn != "one" {
		t.Fatalf("first certificate: %q %v", cn, err)
	}
	// A real request over HTTPS.
	conn, err := tls.Dial("tcp", addr, client)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	conn.Close()
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200 OK") {
		t.Errorf("GET /healthz over TLS: %q", buf[:n])
	}

	// Half-way through a renewal (the new certificate, the old key) the old
	// pair is still served, and the log says why.
	replace(t, filepath.Join(dir, "tls.crt"), two.certPEM)
	if cn, err := servedCN(t, addr, client); err != nil || cn != "one" {
		t.Fatalf("during the renewal: %q %v", cn, err)
	}
	if !strings.Contains(logs.String(), "TLS certificate not reloaded; serving the previous one") ||
		!strings.Contains(logs.String(), "private key does not match public key") {
		t.Errorf("logs:\n%s", logs)
	}
	replace(t, filepath.Join(dir, "tls.key"), two.key)
	if cn, err := servedCN(t, addr, client); err != nil || cn != "two" {
		t.Fatalf("after the renewal: %q %v", cn, err)
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("logs:\n%s", logs)
	}
	if strings.Contains(logs.String(), strings.Split(string(two.key), "\n")[1]) {
		t.Error("the key reached the log")
	}

	// TLS 1.1 is refused.
	old := client.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	if _, err := servedCN(t, addr, old); err == nil {
		t.Error("a TLS 1.1 handshake succeeded")
	}
	// Plain HTTP on the TLS port gets no answer of the server's.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	all := make([]byte, 0, 256)
	for {
		n, err := c.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			break
		}
	}
	c.Close()
	if want := "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"; string(all) != want {
		t.Errorf("plain HTTP on the TLS listener: %q, want %q", all, want)
	}
}

func TestTLSStartErrors(t *testing.T) {
	one, two := newPair(t, "one"), newPair(t, "two")
	tests := map[string]struct {
		cert, key []byte // nil: no file
		want      string // with DIR for the directory
	}{
		"missing certificate": {nil, one.key, "server.tls.cert_file: stat DIR/tls.crt: no such file or directory"},
		"missing key":         {one.certPEM, nil, "server.tls.key_file: stat DIR/tls.key: no such file or directory"},
		"mismatched pair":     {one.certPEM, two.key, "server.tls: cert_file DIR/tls.crt and key_file DIR/tls.key: tls: private key does not match public key"},
		"key as certificate":  {one.key, one.key, "server.tls: cert_file DIR/tls.crt and key_file DIR/tls.key: tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.cert != nil {
				replace(t, filepath.Join(dir, "tls.crt"), tc.cert)
			}
			if tc.key != nil {
				replace(t, filepath.Join(dir, "tls.key"), tc.key)
			}
			_, logs, done, _ := serveTLS(t, dir)
			err := <-done
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant  %s", err, want)
			}
			if tc.key != nil && strings.Contains(err.Error()+logs.String(), strings.Split(string(tc.key), "\n")[1]) {
				t.Error("the key reached the error or the log")
			}
			if errors.Is(err, context.Canceled) {
				t.Error("canceled")
			}
		})
	}
}

func TestRestartOnlyComparesTLSByValue(t *testing.T) {
	cfg := func(tls *config.TLS) *config.Config {
		return &config.Config{Server: config.Server{Addr: ":3000", TLS: tls}}
	}
	pair := func(cert string) *config.TLS { return &config.TLS{CertFile: cert, KeyFile: "k.pem"} }
	tests := map[string]struct {
		a, b *config.Config
		want []string
	}{
		"same files, new pointers": {cfg(pair("c.pem")), cfg(pair("c.pem")), nil},
		"no tls either side":       {cfg(nil), cfg(nil), nil},
		"another certificate path": {cfg(pair("c.pem")), cfg(pair("d.pem")), []string{"server"}},
		"tls turned on":            {cfg(nil), cfg(pair("c.pem")), []string{"server"}},
		"tls turned off":           {cfg(pair("c.pem")), cfg(nil), []string{"server"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := restartOnly(tc.a, tc.b); !slices.Equal(got, tc.want) {
				t.Errorf("restartOnly = %v, want %v", got, tc.want)
			}
		})
	}
}
