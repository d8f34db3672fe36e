package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	grpclogging "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	protovalidatemw "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// interceptorChain is the unary and stream interceptors, outermost first.
type interceptorChain struct {
	unary  []grpc.UnaryServerInterceptor
	stream []grpc.StreamServerInterceptor
}

func (c *interceptorChain) add(u grpc.UnaryServerInterceptor, s grpc.StreamServerInterceptor) {
	c.unary = append(c.unary, u)
	c.stream = append(c.stream, s)
}

// addUnlessHealth adds interceptors that the health service skips: probes must
// work without a token, must not be throttled and would flood the logs.
func (c *interceptorChain) addUnlessHealth(u grpc.UnaryServerInterceptor, s grpc.StreamServerInterceptor) {
	m := selector.MatchFunc(notHealth)
	c.add(selector.UnaryServerInterceptor(u, m), selector.StreamServerInterceptor(s, m))
}

func notHealth(_ context.Context, meta interceptors.CallMeta) bool {
	return meta.Service != grpc_health_v1.Health_ServiceDesc.ServiceName
}

// buildInterceptors returns, outermost first: recovery, logging, metrics,
// auth, rate limit, validation, the caller's extras, recovery again. The
// inner recovery turns handler panics into Internal before logging and
// metrics see the result; the outer one guards the interceptors themselves.
func buildInterceptors(cfg Config, logger *slog.Logger, metrics *grpcprom.ServerMetrics, panics prometheus.Counter, extra interceptorChain) interceptorChain {
	var chain interceptorChain
	recoverOpt := recovery.WithRecoveryHandlerContext(recoverPanic(logger, panics))
	chain.add(recovery.UnaryServerInterceptor(recoverOpt), recovery.StreamServerInterceptor(recoverOpt))

	logOpts := []grpclogging.Option{grpclogging.WithLogOnEvents(grpclogging.FinishCall)}
	rpcLogger := slogAdapter(logger)
	chain.addUnlessHealth(grpclogging.UnaryServerInterceptor(rpcLogger, logOpts...), grpclogging.StreamServerInterceptor(rpcLogger, logOpts...))

	exemplar := grpcprom.WithExemplarFromContext(traceExemplar)
	chain.add(metrics.UnaryServerInterceptor(exemplar), metrics.StreamServerInterceptor(exemplar))

	if len(cfg.AuthTokens) > 0 {
		authFn := bearerAuth(cfg.AuthTokens)
		chain.addUnlessHealth(auth.UnaryServerInterceptor(authFn), auth.StreamServerInterceptor(authFn))
	}
	if cfg.RateLimit > 0 {
		limiter := newClientLimiter(cfg.RateLimit, cfg.RateBurst, time.Now)
		chain.addUnlessHealth(ratelimit.UnaryServerInterceptor(limiter), ratelimit.StreamServerInterceptor(limiter))
	}

	chain.add(unaryBadRequestDetails, streamBadRequestDetails)
	chain.add(protovalidatemw.UnaryServerInterceptor(protovalidate.GlobalValidator),
		protovalidatemw.StreamServerInterceptor(protovalidate.GlobalValidator))

	chain.unary = append(chain.unary, extra.unary...)
	chain.stream = append(chain.stream, extra.stream...)
	chain.add(recovery.UnaryServerInterceptor(recoverOpt), recovery.StreamServerInterceptor(recoverOpt))
	return chain
}

// recoverPanic logs the panic with its stack and hides it from the client.
func recoverPanic(logger *slog.Logger, panics prometheus.Counter) recovery.RecoveryHandlerFuncContext {
	return func(ctx context.Context, p any) error {
		panics.Inc()
		logger.ErrorContext(ctx, "recovered from panic in gRPC handler",
			slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
		return status.Error(codes.Internal, "internal error")
	}
}

// slogAdapter makes go-grpc-middleware log through slog; its levels share
// slog's numeric values.
func slogAdapter(logger *slog.Logger) grpclogging.Logger {
	return grpclogging.LoggerFunc(func(ctx context.Context, level grpclogging.Level, msg string, fields ...any) {
		logger.Log(ctx, slog.Level(level), msg, fields...)
	})
}

// traceExemplar links a metric sample to the sampled trace that produced it.
func traceExemplar(ctx context.Context) prometheus.Labels {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		return prometheus.Labels{"trace_id": sc.TraceID().String()}
	}
	return nil
}

type clientIDKey struct{}

// bearerAuth accepts a request whose "authorization: Bearer <token>" matches
// one of tokens. Tokens are compared as SHA-256 digests with a constant-time
// compare against every configured token, so neither the match position nor
// the token length leaks through timing.
func bearerAuth(tokens []string) auth.AuthFunc {
	digests := make([][sha256.Size]byte, len(tokens))
	for i, tok := range tokens {
		digests[i] = sha256.Sum256([]byte(tok))
	}
	return func(ctx context.Context) (context.Context, error) {
		tok, err := auth.AuthFromMD(ctx, "bearer")
		if err != nil {
			return nil, err
		}
		got := sha256.Sum256([]byte(tok))
		match := 0
		for _, want := range digests {
			match |= subtle.ConstantTimeCompare(got[:], want[:])
		}
		if match != 1 {
			return nil, status.Error(codes.Unauthenticated, "invalid bearer token")
		}
		// The rate limiter keys on a digest prefix, never the token itself.
		return context.WithValue(ctx, clientIDKey{}, "token:"+hex.EncodeToString(got[:8])), nil
	}
}

// clientID names the caller for rate limiting: its authenticated token, else
// its peer IP (without the port, so new connections share one budget).
func clientID(ctx context.Context) string {
	if id, ok := ctx.Value(clientIDKey{}).(string); ok {
		return id
	}
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	addr := p.Addr.String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return "ip:" + host
	}
	return "addr:" + addr
}

// clientLimiter keeps one token bucket per client. Buckets idle long enough
// to have refilled are dropped during a periodic sweep, so memory follows the
// number of recently active clients.
type clientLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*clientBucket
	lastSweep time.Time
}

type clientBucket struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

const limiterSweepEvery = time.Minute

func newClientLimiter(perSecond float64, burst int, now func() time.Time) *clientLimiter {
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	// A bucket idle this long is full again, the same as a fresh one.
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &clientLimiter{
		limit:     rate.Limit(perSecond),
		burst:     burst,
		idle:      max(refill, limiterSweepEvery),
		now:       now,
		buckets:   make(map[string]*clientBucket),
		lastSweep: now(),
	}
}

var errRateLimited = errors.New("per-client rate limit exceeded")

// Limit implements ratelimit.Limiter.
func (l *clientLimiter) Limit(ctx context.Context) error {
	id := clientID(ctx)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= limiterSweepEvery {
		for key, b := range l.buckets {
			if now.Sub(b.lastSeen) >= l.idle {
				delete(l.buckets, key)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[id]
	if !ok {
		b = &clientBucket{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[id] = b
	}
	b.lastSeen = now
	if !b.limiter.AllowN(now, 1) {
		return fmt.Errorf("%w (%g requests/s, burst %d)", errRateLimited, float64(l.limit), l.burst)
	}
	return nil
}

func (l *clientLimiter) clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// unaryBadRequestDetails and streamBadRequestDetails add a google.rpc.BadRequest
// detail next to protovalidate's buf.validate.Violations, so any gRPC client
// (grpcurl included) shows which field broke which rule.
func unaryBadRequestDetails(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	return resp, withBadRequest(err)
}

func streamBadRequestDetails(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return withBadRequest(handler(srv, ss))
}

func withBadRequest(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return err
	}
	var violations *validate.Violations
	for _, d := range st.Details() {
		if v, ok := d.(*validate.Violations); ok {
			violations = v
		}
		if _, ok := d.(*errdetails.BadRequest); ok {
			return err
		}
	}
	if violations == nil {
		return err
	}
	br := &errdetails.BadRequest{}
	for _, v := range violations.GetViolations() {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field:       protovalidate.FieldPathString(v.GetField()),
			Description: v.GetMessage(),
			Reason:      v.GetRuleId(),
		})
	}
	withDetails, detailErr := status.New(codes.InvalidArgument, st.Message()).WithDetails(violations, br)
	if detailErr != nil {
		return err
	}
	return withDetails.Err()
}
