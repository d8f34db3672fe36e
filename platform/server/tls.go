package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"
)

// serverTLSConfig builds the TLS config from cfg's files. The key pair is
// re-read when either file's modification time changes, so rotated
// certificates (cert-manager, mounted secrets) apply without a restart.
func serverTLSConfig(cfg Config) (*tls.Config, error) {
	kp := &keyPairReloader{certFile: cfg.TLSCert, keyFile: cfg.TLSKey}
	if _, err := kp.get(); err != nil {
		return nil, err
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return kp.get()
		},
	}
	if cfg.TLSClientCA != "" {
		pool, err := loadCertPool(cfg.TLSClientCA)
		if err != nil {
			return nil, err
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

func loadCertPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", file)
	}
	return pool, nil
}

type keyPairReloader struct {
	certFile, keyFile string

	mu              sync.Mutex
	cert            *tls.Certificate
	certMod, keyMod time.Time
}

// get returns the current key pair, reloading it when a file changed. A
// failed reload keeps serving the last good pair.
func (r *keyPairReloader) get() (*tls.Certificate, error) {
	certInfo, certErr := os.Stat(r.certFile)
	keyInfo, keyErr := os.Stat(r.keyFile)
	r.mu.Lock()
	defer r.mu.Unlock()
	if certErr == nil && keyErr == nil && r.cert != nil &&
		certInfo.ModTime().Equal(r.certMod) && keyInfo.ModTime().Equal(r.keyMod) {
		return r.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		if r.cert != nil {
			return r.cert, nil
		}
		return nil, fmt.Errorf("load TLS key pair: %w", err)
	}
	r.cert = &cert
	if certErr == nil && keyErr == nil {
		r.certMod, r.keyMod = certInfo.ModTime(), keyInfo.ModTime()
	}
	return r.cert, nil
}
