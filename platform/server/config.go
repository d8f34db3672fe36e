package server

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/query4code/query4code/platform/config"
	"github.com/query4code/query4code/platform/logging"
)

// Config is what a service's gRPC server needs. Build it with DefaultConfig,
// then either set fields in code (tests, the all-in-one CLI) or call
// RegisterFlags and parse the command line.
type Config struct {
	// Service is the short service name ("parser"): it prefixes the
	// environment variables (Q4C_PARSER_...) and names logs and traces.
	Service string
	// Addr is the gRPC listen address, e.g. ":50051" or "127.0.0.1:0".
	Addr string
	// MetricsAddr is the Prometheus /metrics HTTP listen address; empty turns it off.
	MetricsAddr string
	// AuthTokens, when not empty, are the accepted bearer tokens; every RPC
	// except grpc.health.v1.Health must carry one.
	AuthTokens []string
	// TLSCert and TLSKey are PEM files; both set turns TLS on.
	TLSCert string
	TLSKey  string
	// TLSClientCA is a PEM bundle; when set, clients must present a
	// certificate it signed (mTLS). Requires TLSCert and TLSKey.
	TLSClientCA string
	// Reflection registers the gRPC server reflection service.
	Reflection bool
	// ShutdownTimeout bounds the whole shutdown: draining in-flight RPCs, then
	// shutdown hooks, metrics and telemetry.
	ShutdownTimeout time.Duration
	// LogLevel is "debug", "info", "warn" or "error".
	LogLevel string
	// MaxRecvMsgBytes and MaxSendMsgBytes cap a single gRPC message.
	MaxRecvMsgBytes int
	MaxSendMsgBytes int
	// RateLimit is the sustained requests per second allowed per client (its
	// bearer token, else its peer IP); 0 turns rate limiting off.
	RateLimit float64
	// RateBurst is the per-client burst; 0 means max(1, ceil(RateLimit)).
	RateBurst int
}

// DefaultConfig returns the defaults for service listening on addr
// (e.g. DefaultConfig("parser", ":50051")).
func DefaultConfig(service, addr string) Config {
	return Config{
		Service:         service,
		Addr:            addr,
		Reflection:      true,
		ShutdownTimeout: 10 * time.Second,
		LogLevel:        "info",
		MaxRecvMsgBytes: config.DefaultMaxMsgBytes,
		MaxSendMsgBytes: config.DefaultMaxMsgBytes,
	}
}

// RegisterFlags registers the server flags on fs, using c's current field
// values as defaults and Q4C_<SERVICE>_<FLAG> environment variables as
// fallbacks (the auth token uses Q4C_AUTH_TOKEN, shared by all services).
// Parse fs with config.Parse so bad environment values are reported.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	env := func(name string) string { return config.EnvName(c.Service, name) }
	config.EnvStringVar(fs, &c.Addr, "addr", env("addr"), c.Addr, "gRPC listen address `host:port`")
	config.EnvStringVar(fs, &c.MetricsAddr, "metrics-addr", env("metrics-addr"), c.MetricsAddr,
		"Prometheus /metrics HTTP listen `address`; empty turns it off")
	config.EnvVar(fs, (*secretList)(&c.AuthTokens), "auth-token", config.EnvName("", "auth-token"),
		"comma-separated bearer `tokens` accepted by every RPC except health; empty turns auth off")
	config.EnvStringVar(fs, &c.TLSCert, "tls-cert", env("tls-cert"), c.TLSCert, "server certificate PEM `file` (turns TLS on)")
	config.EnvStringVar(fs, &c.TLSKey, "tls-key", env("tls-key"), c.TLSKey, "server private key PEM `file`")
	config.EnvStringVar(fs, &c.TLSClientCA, "tls-client-ca", env("tls-client-ca"), c.TLSClientCA,
		"CA bundle PEM `file`; when set, clients must present a certificate it signed (mTLS)")
	config.EnvBoolVar(fs, &c.Reflection, "reflection", env("reflection"), c.Reflection, "register gRPC server reflection")
	config.EnvDurationVar(fs, &c.ShutdownTimeout, "shutdown-timeout", env("shutdown-timeout"), c.ShutdownTimeout,
		"upper bound on graceful shutdown")
	config.EnvStringVar(fs, &c.LogLevel, "log-level", env("log-level"), c.LogLevel, "log `level`: debug, info, warn or error")
	config.EnvIntVar(fs, &c.MaxRecvMsgBytes, "max-recv-msg-bytes", env("max-recv-msg-bytes"), c.MaxRecvMsgBytes,
		"largest gRPC message accepted, in `bytes`")
	config.EnvIntVar(fs, &c.MaxSendMsgBytes, "max-send-msg-bytes", env("max-send-msg-bytes"), c.MaxSendMsgBytes,
		"largest gRPC message sent, in `bytes`")
	config.EnvFloat64Var(fs, &c.RateLimit, "rate-limit", env("rate-limit"), c.RateLimit,
		"sustained `requests/s` per client (bearer token, else peer IP); 0 turns it off")
	config.EnvIntVar(fs, &c.RateBurst, "rate-burst", env("rate-burst"), c.RateBurst,
		"per-client burst `size`; 0 means max(1, ceil(rate-limit))")
}

// Validate reports every inconsistent or out-of-range field.
func (c Config) Validate() error {
	var errs []error
	if c.Service == "" {
		errs = append(errs, errors.New("service name is empty"))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key must be set together"))
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		errs = append(errs, errors.New("tls-client-ca needs tls-cert and tls-key"))
	}
	for i, tok := range c.AuthTokens {
		if strings.TrimSpace(tok) == "" || strings.ContainsAny(tok, " \t\r\n,") {
			errs = append(errs, fmt.Errorf("auth token %d is empty or contains whitespace or commas", i+1))
		}
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout %v must be positive", c.ShutdownTimeout))
	}
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.MaxRecvMsgBytes <= 0 || c.MaxSendMsgBytes <= 0 {
		errs = append(errs, fmt.Errorf("max message sizes (recv %d, send %d) must be positive", c.MaxRecvMsgBytes, c.MaxSendMsgBytes))
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		errs = append(errs, fmt.Errorf("rate limit %g and burst %d must not be negative", c.RateLimit, c.RateBurst))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid %s server config: %w", c.Service, err)
	}
	return nil
}

// secretList is a comma-separated flag value whose String hides the content,
// so -help never prints a token taken from the environment.
type secretList []string

func (l *secretList) String() string {
	if l == nil || len(*l) == 0 {
		return ""
	}
	return "<redacted>"
}

func (l *secretList) Set(s string) error {
	*l = config.SplitList(s)
	return nil
}
