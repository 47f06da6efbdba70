package config

// serverTLS checks server.tls: both files named. Whether they exist and
// match is checked when serve starts, which reads them.
func (v *checker) serverTLS() {
	t := v.cfg.Server.TLS
	_, written := v.cfg.positions["server.tls"]
	if t == nil {
		if written {
			v.errorf("server.tls", "needs cert_file and key_file (leave tls out to serve plain HTTP)")
		}
		return
	}
	for k := range v.earlier {
		if isUnder("server.tls", k) {
			return // an unknown or malformed key there says enough
		}
	}
	if t.CertFile == "" {
		v.errorf("server.tls.cert_file", "is required: the PEM file of the certificate (and its chain)")
	}
	if t.KeyFile == "" {
		v.errorf("server.tls.key_file", "is required: the PEM file of the certificate's private key")
	}
}
