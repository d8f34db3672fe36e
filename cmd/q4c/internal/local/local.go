// Package local runs the whole suite in one process: parser, docs, annotator
// and orchestrator each on its own platform server on a loopback port, with
// real gRPC between them, exactly as they talk when deployed apart.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/telemetry"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	docsserver "github.com/query4code/query4code/services/docs/server"
	orchestratorserver "github.com/query4code/query4code/services/orchestrator/server"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

// Config configures the four services. Clients fields of Orchestrator are
// filled in by Start.
type Config struct {
	Parser       parserserver.Config
	Docs         docsserver.Config
	Annotator    annotatorserver.Config
	Orchestrator orchestratorserver.Config
	// Logger receives every service's logs.
	Logger *slog.Logger
	// Telemetry traces the services and the calls between them; nil uses the
	// otel globals, unless TelemetryFromEnv is set.
	Telemetry *telemetry.Provider
	// TelemetryFromEnv gives each service its own tracer provider set up from
	// the OTEL_* variables (platform/telemetry), named after the service as
	// the standalone binaries are, so a trace shows the four services as when
	// they are deployed apart. Close flushes and shuts the providers down.
	TelemetryFromEnv bool
	// ShutdownTimeout bounds each server's shutdown (default 10s).
	ShutdownTimeout time.Duration
}

// Suite is the running services.
type Suite struct {
	// Orchestrator is a connection to the orchestrator, for the CLI.
	Orchestrator *grpc.ClientConn
	// Addrs are the services' loopback addresses, by service name.
	Addrs map[string]string

	servers   []*runningServer // in start order: the orchestrator, when started, is last
	upstreams []*grpc.ClientConn
	closers   []func() error
	providers []*telemetry.Provider
}

// runningServer is one service's platform server, stopped by cancelling its context.
type runningServer struct {
	name   string
	cancel context.CancelFunc
	done   chan error
}

// Start starts parser, docs and annotator, then the orchestrator wired to
// them, and returns once all four are listening.
func Start(cfg Config) (_ *Suite, err error) {
	s := &Suite{Addrs: map[string]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}

	cfg.Parser.Logger = cfg.Logger.With("service", "parser")
	parser, err := parserserver.New(cfg.Parser)
	if err != nil {
		return nil, fmt.Errorf("parser: %w", err)
	}
	if err := s.serve(cfg, "parser", func(srv *server.Server) { parser.Register(srv.GRPC()) }); err != nil {
		return nil, err
	}

	cfg.Docs.Logger = cfg.Logger.With("service", "docs")
	docs, err := docsserver.New(cfg.Docs)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	s.closers = append(s.closers, docs.Close)
	if err := s.serve(cfg, "docs", func(srv *server.Server) { docs.Register(srv.GRPC()) }); err != nil {
		return nil, err
	}

	cfg.Annotator.Logger = cfg.Logger.With("service", "annotator")
	annotator, err := annotatorserver.New(cfg.Annotator)
	if err != nil {
		return nil, fmt.Errorf("annotator: %w", err)
	}
	s.closers = append(s.closers, func() error { annotator.Close(); return nil })
	if err := s.serve(cfg, "annotator", func(srv *server.Server) { annotator.Register(srv.GRPC()) }); err != nil {
		return nil, err
	}

	tel, err := s.telemetry(cfg, "orchestrator")
	if err != nil {
		return nil, err
	}
	oc := cfg.Orchestrator
	for name, set := range map[string]func(*grpc.ClientConn){
		"parser":    func(c *grpc.ClientConn) { oc.Parser = parserv1.NewParserServiceClient(c) },
		"docs":      func(c *grpc.ClientConn) { oc.Docs = docsv1.NewDocsServiceClient(c) },
		"annotator": func(c *grpc.ClientConn) { oc.Annotator = annotatorv1.NewAnnotatorServiceClient(c) },
	} {
		conn, err := client.Dial(s.Addrs[name], client.Config{Telemetry: tel})
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", name, err)
		}
		s.upstreams = append(s.upstreams, conn)
		set(conn)
	}
	oc.Logger = cfg.Logger.With("service", "orchestrator")
	if tel != nil {
		oc.TracerProvider = tel.TracerProvider()
	}
	orch, err := orchestratorserver.New(oc)
	if err != nil {
		return nil, fmt.Errorf("orchestrator: %w", err)
	}
	registered := false
	err = s.serve(cfg, "orchestrator", func(srv *server.Server) {
		registered = true
		// As in bin/orchestrator: the drain ends the watch streams; calls in flight finish and are
		// stored before the store closes.
		srv.OnDrain(func(context.Context) error { orch.BeginShutdown(); return nil })
		srv.OnShutdown(orch.Shutdown)
		orchestratorv1.RegisterOrchestratorServiceServer(srv.GRPC(), orch)
	})
	if err != nil && !registered {
		return nil, errors.Join(err, orch.Close())
	}
	if err != nil {
		return nil, err // the server's shutdown hooks closed orch
	}
	if s.Orchestrator, err = client.Dial(s.Addrs["orchestrator"], client.Config{Telemetry: tel}); err != nil {
		return nil, fmt.Errorf("dial orchestrator: %w", err)
	}
	return s, nil
}

// StartParser starts only the parser, for commands that parse without annotating (q4c popularity).
// Close the Suite when done; conn is closed with it.
func StartParser(cfg parserserver.Config, logger *slog.Logger) (_ *Suite, conn *grpc.ClientConn, err error) {
	s := &Suite{Addrs: map[string]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if logger == nil {
		logger = slog.Default()
	}
	cfg.Logger = logger.With("service", "parser")
	parser, err := parserserver.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("parser: %w", err)
	}
	if err := s.serve(Config{Logger: logger, ShutdownTimeout: 10 * time.Second}, "parser", func(srv *server.Server) { parser.Register(srv.GRPC()) }); err != nil {
		return nil, nil, err
	}
	conn, err = client.Dial(s.Addrs["parser"], client.Config{})
	if err != nil {
		return nil, nil, fmt.Errorf("dial parser: %w", err)
	}
	s.upstreams = append(s.upstreams, conn)
	return s, conn, nil
}

// telemetry is the provider the named service traces with: cfg.Telemetry, else with TelemetryFromEnv
// one of its own (owned by the suite), else nil (the otel globals).
func (s *Suite) telemetry(cfg Config, name string) (*telemetry.Provider, error) {
	if cfg.Telemetry != nil || !cfg.TelemetryFromEnv {
		return cfg.Telemetry, nil
	}
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: name})
	if err != nil {
		return nil, fmt.Errorf("%s: set up telemetry: %w", name, err)
	}
	s.providers = append(s.providers, tel)
	return tel, nil
}

// serve starts one platform server on an ephemeral loopback port.
func (s *Suite) serve(cfg Config, name string, register func(*server.Server)) error {
	scfg := server.DefaultConfig(name, "127.0.0.1:0")
	scfg.ShutdownTimeout = cfg.ShutdownTimeout
	scfg.LogLevel = "warn"
	tel, err := s.telemetry(cfg, name)
	if err != nil {
		return err
	}
	opts := []server.Option{}
	if tel != nil {
		opts = append(opts, server.WithTelemetry(tel))
	}
	srv, err := server.NewServer(scfg, cfg.Logger.With("service", name), opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	register(srv)
	if err := srv.Listen(); err != nil {
		return errors.Join(fmt.Errorf("%s: listen: %w", name, err), stopUnserved(srv))
	}
	s.Addrs[name] = srv.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningServer{name: name, cancel: cancel, done: make(chan error, 1)}
	s.servers = append(s.servers, rs)
	go func() { rs.done <- srv.Serve(ctx) }()
	return nil
}

// stopUnserved runs the shutdown of a server that never served (its hooks close what register opened).
func stopUnserved(srv *server.Server) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return srv.Serve(ctx)
}

// Close stops the suite in the order a deployment would: the orchestrator first, so its watch streams
// end and the calls it has in flight finish against services still up and are stored (a job interrupted
// by Ctrl-C resumes without paying for them again); then its connections to the other services; then
// those services, their resources and the tracer providers, which flush last.
func (s *Suite) Close() error {
	var errs []error
	if s.Orchestrator != nil {
		errs = append(errs, s.Orchestrator.Close())
	}
	servers := s.servers
	if n := len(servers); n > 0 && servers[n-1].name == "orchestrator" {
		errs = append(errs, servers[n-1].stop())
		servers = servers[:n-1]
	}
	for _, conn := range s.upstreams {
		errs = append(errs, conn.Close())
	}
	for _, rs := range servers {
		rs.cancel()
	}
	for _, rs := range servers {
		errs = append(errs, rs.wait())
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	for _, tel := range s.providers {
		errs = append(errs, tel.Shutdown(context.Background()))
	}
	s.servers, s.upstreams, s.closers, s.providers, s.Orchestrator = nil, nil, nil, nil, nil
	return errors.Join(errs...)
}

func (rs *runningServer) stop() error {
	rs.cancel()
	return rs.wait()
}

func (rs *runningServer) wait() error {
	if err := <-rs.done; err != nil {
		return fmt.Errorf("%s: %w", rs.name, err)
	}
	return nil
}
