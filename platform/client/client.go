// Package client dials query4code services with the project's defaults:
// tracing, optional TLS/mTLS and bearer token, round-robin load balancing,
// retries on UNAVAILABLE, keepalive and message size limits matching the
// servers.
package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // registers client-side health checking used by the service config
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/query4code/query4code/platform/config"
	"github.com/query4code/query4code/platform/telemetry"
)

// Config says how to reach a service. The zero value dials in plaintext
// without a token.
type Config struct {
	// Token, when set, is sent as "authorization: Bearer <token>" on every RPC.
	Token string
	// AllowInsecureToken permits sending Token without TLS to a target that is
	// not loopback or a unix socket. Off by default: the token would travel in
	// clear text.
	AllowInsecureToken bool
	// TLS turns on TLS with the system roots; CAFile, CertFile and ServerName
	// imply it.
	TLS bool
	// CAFile is a PEM bundle of roots to trust instead of the system ones.
	CAFile string
	// CertFile and KeyFile are the client certificate for mTLS.
	CertFile string
	KeyFile  string
	// ServerName overrides the name checked against the server certificate.
	ServerName string
	// MaxRecvMsgBytes and MaxSendMsgBytes cap one message; 0 means
	// config.DefaultMaxMsgBytes, the servers' default.
	MaxRecvMsgBytes int
	MaxSendMsgBytes int
	// Telemetry traces calls and propagates context with its provider; nil
	// means the otel globals.
	Telemetry *telemetry.Provider
	// DialOptions are appended after the defaults, so they win where they overlap.
	DialOptions []grpc.DialOption
}

// ServiceConfig is the default gRPC service config: round-robin over every
// address the resolver returns (with dns:///svc-headless:port, every pod),
// client-side health checking so NOT_SERVING backends (shutting down) leave
// the rotation, and up to 4 attempts in all for calls failing with
// UNAVAILABLE.
//
// The retry policy is for transport failures only. In this suite UNAVAILABLE
// means the request did no work: the replica is gone, unreachable or shutting
// down, so resending it (round robin picks the next replica) costs nothing.
// No service answers UNAVAILABLE for work it did and paid for: the annotator
// reports LLM failures with other codes (docs/api.md, "Retry contract")
// precisely so that this policy never multiplies LLM requests. The attempts
// are bounded (4, backoff 0.1s doubling to 2s) so a dead service fails a call
// within seconds rather than hiding the outage.
const ServiceConfig = `{
  "loadBalancingConfig": [{"round_robin": {}}],
  "healthCheckConfig": {"serviceName": ""},
  "methodConfig": [{
    "name": [{}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.1s",
      "maxBackoff": "2s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// Keepalive matched to the servers' enforcement policy (pings no more often
// than every 20s are tolerated).
const (
	keepalivePing    = 30 * time.Second
	keepaliveTimeout = 10 * time.Second
)

// Dial returns a client connection to target ("host:port",
// "dns:///name:port", "unix:///path", ...). A comma-separated list of
// host:port addresses ("127.0.0.1:7001,127.0.0.1:7002") is a fixed set of
// replicas, balanced round robin like a headless service's DNS answer. Like
// grpc.NewClient it does not connect until the first RPC. The caller closes
// the connection.
func Dial(target string, cfg Config) (*grpc.ClientConn, error) {
	useTLS := cfg.TLS || cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" || cfg.ServerName != ""
	var creds credentials.TransportCredentials
	if useTLS {
		tc, err := clientTLSConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", target, err)
		}
		creds = credentials.NewTLS(tc)
	} else {
		creds = insecure.NewCredentials()
	}

	recv, send := cfg.MaxRecvMsgBytes, cfg.MaxSendMsgBytes
	if recv <= 0 {
		recv = config.DefaultMaxMsgBytes
	}
	if send <= 0 {
		send = config.DefaultMaxMsgBytes
	}
	otelOpts := []otelgrpc.Option{otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))}
	if cfg.Telemetry != nil {
		otelOpts = append(otelOpts,
			otelgrpc.WithTracerProvider(cfg.Telemetry.TracerProvider()),
			otelgrpc.WithPropagators(cfg.Telemetry.Propagator()))
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelOpts...)),
		grpc.WithDefaultServiceConfig(ServiceConfig),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(recv), grpc.MaxCallSendMsgSize(send)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: keepalivePing, Timeout: keepaliveTimeout, PermitWithoutStream: true}),
	}
	if cfg.Token != "" {
		if !useTLS && !cfg.AllowInsecureToken && !IsLocalTarget(target) {
			return nil, fmt.Errorf("dial %s: refusing to send a bearer token without TLS to a non-local target (set TLS or AllowInsecureToken)", target)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken{token: cfg.Token, requireTLS: useTLS}))
	}
	dialTarget := target
	if addrs, ok := staticAddresses(target); ok {
		// A manual resolver per connection: the list never changes, and
		// round_robin from ServiceConfig spreads calls over it.
		r := manual.NewBuilderWithScheme(staticScheme)
		state := resolver.State{}
		for _, a := range addrs {
			state.Addresses = append(state.Addresses, resolver.Address{Addr: a})
		}
		r.InitialState(state)
		opts = append(opts, grpc.WithResolvers(r))
		dialTarget = staticScheme + ":///" + addrs[0]
	}
	opts = append(opts, cfg.DialOptions...)
	conn, err := grpc.NewClient(dialTarget, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

func clientTLSConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("client certificate and key must be set together")
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client key pair: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// bearerToken is per-RPC credentials carrying a static token.
type bearerToken struct {
	token      string
	requireTLS bool
}

func (b bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false only for plaintext targets Dial allowed.
func (b bearerToken) RequireTransportSecurity() bool { return b.requireTLS }

// IsLocalTarget reports whether a gRPC target stays on this machine: a unix
// socket, "localhost" or a loopback IP, with or without a resolver scheme.
func IsLocalTarget(target string) bool {
	if addrs, ok := staticAddresses(target); ok {
		for _, a := range addrs {
			if !IsLocalTarget(a) {
				return false
			}
		}
		return true
	}
	endpoint := target
	if scheme, rest, ok := strings.Cut(target, ":"); ok {
		switch strings.ToLower(scheme) {
		case "unix", "unix-abstract":
			return true
		case "dns", "passthrough", "ipv4", "ipv6":
			// scheme://[authority]/endpoint or scheme:endpoint
			if after, found := strings.CutPrefix(rest, "//"); found {
				_, endpoint, _ = strings.Cut(after, "/")
			} else {
				endpoint = rest
			}
		}
	}
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// staticScheme names the manual resolver Dial builds for an address list.
const staticScheme = "q4c-static"

// staticAddresses splits a comma-separated list of two or more host:port
// addresses without a resolver scheme; ok is false for any other target.
func staticAddresses(target string) (addrs []string, ok bool) {
	if !strings.Contains(target, ",") || strings.Contains(target, "://") {
		return nil, false
	}
	for a := range strings.SplitSeq(target, ",") {
		a = strings.TrimSpace(a)
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, false
		}
		addrs = append(addrs, a)
	}
	return addrs, true
}
