// Package q4c is the Go client of the query4code services for other teams:
// Annotate one function (or a batch) with the annotator, submit annotation
// jobs to the orchestrator and watch them, resuming a watch after a dropped
// connection without losing or repeating an event.
//
// Dial uses the suite's connection defaults (platform/client): retries on
// UNAVAILABLE through the gRPC service config, round-robin over every address
// a DNS name resolves to, keepalive, optional TLS or mTLS and a bearer token.
// On top of them the client gives every unary call a deadline when the
// caller's context has none.
package q4c

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	platformclient "github.com/query4code/query4code/platform/client"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

// Defaults applied where Options leaves a field zero.
const (
	// DefaultCallTimeout bounds a unary call whose context has no deadline.
	// Annotate runs three LLM stages, each with its own retries, so it is
	// generous.
	DefaultCallTimeout = 2 * time.Minute
	// DefaultBatchConcurrency is AnnotateBatch's calls in flight when the
	// caller passes 0.
	DefaultBatchConcurrency = 8
	// DefaultWatchReconnects is how many reconnects in a row WatchJob tries
	// without receiving an event before it gives up.
	DefaultWatchReconnects = 8
	// DefaultWatchBackoff is the first pause before a reconnect; it doubles
	// up to maxWatchBackoff.
	DefaultWatchBackoff = 200 * time.Millisecond

	maxWatchBackoff = 5 * time.Second
)

// Options say how to reach a service. The zero value dials in plaintext
// without a token and uses the defaults above.
type Options struct {
	// Token, when set, is sent as "authorization: Bearer <token>" on every
	// call. Without TLS it is only sent to loopback targets unless
	// AllowInsecureToken is set.
	Token              string
	AllowInsecureToken bool
	// TLS turns on TLS with the system roots; CAFile, CertFile/KeyFile (mTLS)
	// and ServerName imply it.
	TLS        bool
	CAFile     string
	CertFile   string
	KeyFile    string
	ServerName string

	// CallTimeout is the deadline given to a unary call whose context has
	// none: 0 means DefaultCallTimeout, a negative value means no deadline.
	// Streams (WatchJob) never get one: they last as long as the job.
	CallTimeout time.Duration
	// WatchReconnects is how many reconnects in a row WatchJob makes without
	// receiving an event: 0 means DefaultWatchReconnects, negative means none.
	WatchReconnects int
	// WatchBackoff is the first pause before a reconnect: 0 means
	// DefaultWatchBackoff.
	WatchBackoff time.Duration

	// DialOptions are appended after the defaults, so they win where they
	// overlap (tests use them for custom dialers).
	DialOptions []grpc.DialOption
}

// Client calls the annotator and orchestrator services on one connection.
// Point it at the service you call: an annotator for Annotate and
// AnnotateBatch, an orchestrator for the job calls (the all-in-one q4c
// server serves both on one address). A Client is safe for concurrent use.
type Client struct {
	conn         grpc.ClientConnInterface
	closer       func() error
	annotator    annotatorv1.AnnotatorServiceClient
	orchestrator orchestratorv1.OrchestratorServiceClient
	opts         Options
}

// Dial returns a Client for target ("host:port", "dns:///name:port",
// "unix:///path"). Like grpc.NewClient it connects on the first call, so a
// service that is not up yet is not an error here. Close the Client when
// done.
func Dial(target string, opts Options) (*Client, error) {
	if target == "" {
		return nil, errors.New("q4c: dial: empty target")
	}
	conn, err := platformclient.Dial(target, platformclient.Config{
		Token:              opts.Token,
		AllowInsecureToken: opts.AllowInsecureToken,
		TLS:                opts.TLS,
		CAFile:             opts.CAFile,
		CertFile:           opts.CertFile,
		KeyFile:            opts.KeyFile,
		ServerName:         opts.ServerName,
		DialOptions:        opts.DialOptions,
	})
	if err != nil {
		return nil, fmt.Errorf("q4c: %w", err)
	}
	c := NewFromConn(conn, opts)
	c.closer = conn.Close
	return c, nil
}

// NewFromConn wraps a connection the caller made and keeps owning: Close
// does not close it. Only the call options of opts (timeouts, watch
// reconnects) apply; dial options and credentials are the connection's.
func NewFromConn(conn grpc.ClientConnInterface, opts Options) *Client {
	return &Client{
		conn:         conn,
		closer:       func() error { return nil },
		annotator:    annotatorv1.NewAnnotatorServiceClient(conn),
		orchestrator: orchestratorv1.NewOrchestratorServiceClient(conn),
		opts:         opts,
	}
}

// Close closes the connection Dial made.
func (c *Client) Close() error {
	if err := c.closer(); err != nil {
		return fmt.Errorf("q4c: close: %w", err)
	}
	return nil
}

// Annotator is the generated client, for the RPCs the helpers do not cover
// (Summarize, GenerateQuery, Validate).
func (c *Client) Annotator() annotatorv1.AnnotatorServiceClient { return c.annotator }

// Orchestrator is the generated client, for ListJobs and AnnotateRepository.
func (c *Client) Orchestrator() orchestratorv1.OrchestratorServiceClient { return c.orchestrator }

// callContext gives ctx the default deadline when it has none.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := c.opts.CallTimeout
	if timeout == 0 {
		timeout = DefaultCallTimeout
	}
	if _, has := ctx.Deadline(); has || timeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// Code is the gRPC status code of an error a Client returned (codes.OK for
// nil, codes.Unknown for an error that carries no status), looking through
// the client's wrapping.
func Code(err error) codes.Code {
	return status.Code(err)
}
