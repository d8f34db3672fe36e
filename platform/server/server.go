// Package server starts a query4code gRPC service the same way everywhere:
// interceptors, TLS, health, reflection, metrics, tracing and graceful
// shutdown. See the platform package documentation for an example.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/query4code/query4code/platform/logging"
	"github.com/query4code/query4code/platform/telemetry"
)

// Keepalive policy shared with platform/client: clients ping at most every
// 30s, so the server tolerates pings down to 20s and pings idle clients
// itself after a minute to drop dead connections.
const (
	keepaliveMinClientPing = 20 * time.Second
	keepalivePingIdle      = time.Minute
	keepalivePingTimeout   = 20 * time.Second
)

// maxHookGrace is the most time between the end of a shutdown hook's context
// and the moment the server stops waiting for the hook.
const maxHookGrace = 250 * time.Millisecond

// Server is a gRPC server with the project's middleware, health and
// reflection, plus an optional Prometheus HTTP endpoint.
type Server struct {
	cfg        Config
	logger     *slog.Logger
	grpc       *grpc.Server
	health     *health.Server
	metrics    *grpcprom.ServerMetrics
	gatherer   prometheus.Gatherer
	registerer prometheus.Registerer
	tel        *telemetry.Provider
	ownsTel    bool

	mu         sync.Mutex
	lis        net.Listener
	metricsLis net.Listener
	drainHooks []func(context.Context) error
	hooks      []func(context.Context) error
	served     atomic.Bool
	// forcedStop records that the drain deadline passed and Stop closed the RPCs still open.
	forcedStop atomic.Bool
}

// Option customises NewServer.
type Option func(*options)

type options struct {
	tel        *telemetry.Provider
	ownsTel    bool
	lis        net.Listener
	registry   *prometheus.Registry
	grpcOpts   []grpc.ServerOption
	extraChain interceptorChain
}

// WithTelemetry makes the server trace with p instead of the otel globals.
// Serve flushes p on shutdown but does not shut it down: p's owner does.
func WithTelemetry(p *telemetry.Provider) Option {
	return func(o *options) { o.tel = p }
}

// withOwnedTelemetry makes Serve shut p down (used by Run, which created it).
func withOwnedTelemetry(p *telemetry.Provider) Option {
	return func(o *options) { o.tel, o.ownsTel = p, true }
}

// WithListener serves on lis (e.g. a bufconn listener) instead of cfg.Addr.
// The server closes it.
func WithListener(lis net.Listener) Option {
	return func(o *options) { o.lis = lis }
}

// WithMetricsRegistry registers the server's metrics in reg, labelled
// service=<cfg.Service>, and serves reg on MetricsAddr. Use it to share one
// registry between servers in one process; by default each server has its
// own registry, which also holds Go runtime and process metrics.
func WithMetricsRegistry(reg *prometheus.Registry) Option {
	return func(o *options) { o.registry = reg }
}

// WithServerOptions appends raw grpc.ServerOptions (applied after the
// defaults, so they win where they overlap).
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return func(o *options) { o.grpcOpts = append(o.grpcOpts, opts...) }
}

// WithInterceptors adds service-specific interceptors after validation, so
// they see only authenticated, rate-limited, valid requests. Either may be nil.
func WithInterceptors(unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor) Option {
	return func(o *options) {
		if unary != nil {
			o.extraChain.unary = append(o.extraChain.unary, unary)
		}
		if stream != nil {
			o.extraChain.stream = append(o.extraChain.stream, stream)
		}
	}
}

// NewServer builds a server from cfg. A nil logger means a JSON logger on
// stderr at cfg.LogLevel. Register services on GRPC() before calling Serve.
func NewServer(cfg Config, logger *slog.Logger, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if logger == nil {
		level, err := logging.ParseLevel(cfg.LogLevel)
		if err != nil {
			return nil, err
		}
		logger = logging.New(os.Stderr, level, cfg.Service)
	}

	registry := o.registry
	if registry == nil {
		registry = prometheus.NewRegistry()
		registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	registerer := prometheus.WrapRegistererWith(prometheus.Labels{"service": cfg.Service}, registry)
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	panics := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grpc_req_panics_recovered_total",
		Help: "Total number of gRPC requests whose handler or interceptor panicked.",
	})
	for _, c := range []prometheus.Collector{metrics, panics} {
		if err := registerer.Register(c); err != nil {
			return nil, fmt.Errorf("register %s server metrics: %w", cfg.Service, err)
		}
	}

	otelOpts := []otelgrpc.Option{otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))}
	if o.tel != nil {
		otelOpts = append(otelOpts,
			otelgrpc.WithTracerProvider(o.tel.TracerProvider()),
			otelgrpc.WithPropagators(o.tel.Propagator()))
	}
	chain := buildInterceptors(cfg, logger, metrics, panics, o.extraChain)
	grpcOpts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelOpts...)),
		grpc.ChainUnaryInterceptor(chain.unary...),
		grpc.ChainStreamInterceptor(chain.stream...),
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
		grpc.MaxSendMsgSize(cfg.MaxSendMsgBytes),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinClientPing, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: keepalivePingIdle, Timeout: keepalivePingTimeout}),
	}
	if cfg.TLSCert != "" {
		tc, err := serverTLSConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s server TLS: %w", cfg.Service, err)
		}
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(tc)))
	}
	grpcOpts = append(grpcOpts, o.grpcOpts...)

	gs := grpc.NewServer(grpcOpts...)
	hs := health.NewServer()
	grpc_health_v1.RegisterHealthServer(gs, hs)
	// Until Serve marks the services SERVING, probes see NOT_SERVING.
	hs.SetServingStatus("", grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	if cfg.Reflection {
		reflection.Register(gs)
	}
	return &Server{
		cfg:        cfg,
		logger:     logger,
		grpc:       gs,
		health:     hs,
		metrics:    metrics,
		gatherer:   registry,
		registerer: registerer,
		tel:        o.tel,
		ownsTel:    o.ownsTel,
		lis:        o.lis,
	}, nil
}

// GRPC returns the underlying server; register services on it before Serve.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.logger }

// Health returns the health server, for services that report their own
// status (e.g. NOT_SERVING while a dependency is down).
func (s *Server) Health() *health.Server { return s.health }

// Registerer returns where a service registers its own metrics; they are
// served with the server's and labelled service=<name>.
func (s *Server) Registerer() prometheus.Registerer { return s.registerer }

// OnDrain registers fn to run the moment shutdown begins: after health turns
// NOT_SERVING and before GracefulStop waits for the RPCs in flight. A service
// stops starting work there and ends its long-lived streams (telling clients
// to reconnect elsewhere), which GracefulStop would otherwise wait for until
// the deadline forces a Stop. Hooks run in order of registration, with a
// context that ends at the drain deadline; the drain does not wait for a hook
// past it.
func (s *Server) OnDrain(fn func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainHooks = append(s.drainHooks, fn)
}

// OnShutdown registers fn to run after the gRPC server has stopped and before
// telemetry is flushed (e.g. closing a store or client connections). Hooks
// run in reverse order of registration with the remaining shutdown budget;
// shutdown does not wait for a hook past it.
func (s *Server) OnShutdown(fn func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, fn)
}

// ForcedStop reports whether the last shutdown ran out of drain time and
// closed RPCs still in flight with Stop.
func (s *Server) ForcedStop() bool { return s.forcedStop.Load() }

// Listen binds the gRPC and metrics addresses, if not bound yet. Call it
// before Serve to learn the ports chosen for ":0" addresses; Serve calls it
// otherwise.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		lis, err := net.Listen("tcp", s.cfg.Addr)
		if err != nil {
			return fmt.Errorf("%s server: listen on %s: %w", s.cfg.Service, s.cfg.Addr, err)
		}
		s.lis = lis
	}
	if s.cfg.MetricsAddr != "" && s.metricsLis == nil {
		lis, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("%s server: listen for metrics on %s: %w", s.cfg.Service, s.cfg.MetricsAddr, err)
		}
		s.metricsLis = lis
	}
	return nil
}

// Addr returns the gRPC listen address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		return nil
	}
	return s.lis.Addr()
}

// MetricsAddr returns the metrics listen address, or nil when metrics are
// off or before Listen.
func (s *Server) MetricsAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.metricsLis == nil {
		return nil
	}
	return s.metricsLis.Addr()
}

// Serve listens if needed, marks every registered service SERVING and serves
// gRPC and metrics until ctx is done or serving fails. Then it shuts down:
// health NOT_SERVING, drain hooks, GracefulStop until the drain deadline,
// Stop, shutdown hooks, metrics HTTP, telemetry flush. It returns nil after a clean shutdown
// (a forced Stop at the deadline is logged, not an error) and the serving or
// hook errors otherwise. Serve may be called once.
func (s *Server) Serve(ctx context.Context) error {
	if !s.served.CompareAndSwap(false, true) {
		return fmt.Errorf("%s server: Serve called twice", s.cfg.Service)
	}
	if err := s.Listen(); err != nil {
		s.mu.Lock()
		lis, mlis := s.lis, s.metricsLis
		s.mu.Unlock()
		for _, l := range []net.Listener{lis, mlis} {
			if l != nil {
				_ = l.Close()
			}
		}
		return errors.Join(err, s.cleanup(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout))
	}

	s.metrics.InitializeMetrics(s.grpc)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, grpc_health_v1.HealthCheckResponse_SERVING)
	}
	s.health.SetServingStatus("", grpc_health_v1.HealthCheckResponse_SERVING)

	errc := make(chan error, 2)
	running := 1
	go func() {
		// ErrServerStopped: ctx was done before Serve got going.
		if err := s.grpc.Serve(s.lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errc <- fmt.Errorf("%s server: serve gRPC: %w", s.cfg.Service, err)
			return
		}
		errc <- nil
	}()
	var metricsSrv *http.Server
	if s.metricsLis != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{EnableOpenMetrics: true}))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		running++
		go func() {
			if err := metricsSrv.Serve(s.metricsLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s server: serve metrics: %w", s.cfg.Service, err)
				return
			}
			errc <- nil
		}()
	}
	attrs := []any{slog.String("addr", s.lis.Addr().String())}
	if s.metricsLis != nil {
		attrs = append(attrs, slog.String("metrics_addr", s.metricsLis.Addr().String()))
	}
	s.logger.InfoContext(ctx, "serving", attrs...)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		running--
		if serveErr == nil {
			serveErr = fmt.Errorf("%s server: stopped serving unexpectedly", s.cfg.Service)
		}
		s.logger.ErrorContext(ctx, "serving failed; shutting down", slog.Any("error", serveErr))
	}

	// Leave a share of the budget for hooks, metrics and telemetry.
	start := time.Now()
	reserve := min(s.cfg.ShutdownTimeout/4, 3*time.Second)
	shutdownCtx := context.WithoutCancel(ctx)
	drainErr := s.stopGRPC(shutdownCtx, s.cfg.ShutdownTimeout-reserve)
	if metricsSrv != nil {
		mctx, cancel := context.WithTimeout(shutdownCtx, time.Second)
		if err := metricsSrv.Shutdown(mctx); err != nil {
			s.logger.WarnContext(ctx, "metrics server shutdown", slog.Any("error", err))
			_ = metricsSrv.Close()
		}
		cancel()
	}
	for ; running > 0; running-- {
		if err := <-errc; err != nil && serveErr == nil {
			serveErr = err
		}
	}
	hookErr := s.cleanup(shutdownCtx, max(s.cfg.ShutdownTimeout-time.Since(start), reserve))
	if err := errors.Join(serveErr, drainErr, hookErr); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "stopped")
	return nil
}

// stopGRPC marks everything NOT_SERVING, runs the drain hooks, drains
// in-flight RPCs until drain has passed, then closes whatever is left. It
// returns the drain hooks' errors.
func (s *Server) stopGRPC(ctx context.Context, drain time.Duration) error {
	deadline := time.Now().Add(drain)
	s.health.Shutdown()
	s.mu.Lock()
	hooks := s.drainHooks
	s.drainHooks = nil
	s.mu.Unlock()
	hookCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var errs []error
	for _, hook := range hooks {
		if err := runHook(hookCtx, hook); err != nil {
			errs = append(errs, fmt.Errorf("%s server: drain hook: %w", s.cfg.Service, err))
		}
	}

	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.forcedStop.Store(true)
		s.logger.Warn("graceful stop timed out; closing remaining RPCs", slog.Duration("drain", drain))
		s.grpc.Stop()
		<-done
	}
	return errors.Join(errs...)
}

// runHook runs fn and returns its error, or stops waiting for it once ctx
// ends: a hook that ignores its deadline must not hold the process past the
// shutdown budget, after which its supervisor (Kubernetes at
// terminationGracePeriodSeconds) kills it with telemetry unflushed. fn's own
// context ends a little earlier than ctx, so a hook that returns when its
// context ends is still waited for.
func runHook(ctx context.Context, fn func(context.Context) error) error {
	hookCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		grace := min(time.Until(deadline)/10, maxHookGrace)
		var cancel context.CancelFunc
		hookCtx, cancel = context.WithDeadline(ctx, deadline.Add(-grace))
		defer cancel()
	}
	errc := make(chan error, 1)
	go func() { errc <- fn(hookCtx) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return fmt.Errorf("hook still running at its deadline: %w", context.Cause(ctx))
	}
}

// cleanup runs the shutdown hooks, then flushes (or, when owned, shuts down)
// telemetry, all within budget. Only hook errors are returned: a collector
// that cannot be reached must not turn a clean exit into a failure.
func (s *Server) cleanup(ctx context.Context, budget time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	s.mu.Lock()
	hooks := s.hooks
	s.hooks = nil
	s.mu.Unlock()
	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		if err := runHook(ctx, hooks[i]); err != nil {
			errs = append(errs, fmt.Errorf("%s server: shutdown hook: %w", s.cfg.Service, err))
		}
	}
	if s.tel != nil {
		var err error
		if s.ownsTel {
			err = s.tel.Shutdown(ctx)
		} else {
			err = s.tel.ForceFlush(ctx)
		}
		if err != nil {
			s.logger.Warn("telemetry flush failed", slog.Any("error", err))
		}
	}
	return errors.Join(errs...)
}
