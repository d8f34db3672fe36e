// Package local runs the whole suite in one process: parser, docs, annotator
// and orchestrator each on its own platform server on a loopback port, with
// real gRPC between them, exactly as they talk when deployed apart.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	// Telemetry traces the services and the calls between them; nil uses the otel globals.
	Telemetry *telemetry.Provider
	// ShutdownTimeout bounds each server's shutdown (default 10s).
	ShutdownTimeout time.Duration
}

// Suite is the running services.
type Suite struct {
	// Orchestrator is a connection to the orchestrator, for the CLI.
	Orchestrator *grpc.ClientConn
	// Addrs are the services' loopback addresses, by service name.
	Addrs map[string]string

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errs    chan error
	conns   []*grpc.ClientConn
	closers []func() error
}

// Start starts parser, docs and annotator, then the orchestrator wired to
// them, and returns once all four are listening.
func Start(cfg Config) (_ *Suite, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Suite{cancel: cancel, errs: make(chan error, 4), Addrs: map[string]string{}}
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
	if err := s.serve(ctx, cfg, "parser", func(g *grpc.Server) { parser.Register(g) }); err != nil {
		return nil, err
	}

	cfg.Docs.Logger = cfg.Logger.With("service", "docs")
	docs, err := docsserver.New(cfg.Docs)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	s.closers = append(s.closers, docs.Close)
	if err := s.serve(ctx, cfg, "docs", func(g *grpc.Server) { docs.Register(g) }); err != nil {
		return nil, err
	}

	cfg.Annotator.Logger = cfg.Logger.With("service", "annotator")
	annotator, err := annotatorserver.New(cfg.Annotator)
	if err != nil {
		return nil, fmt.Errorf("annotator: %w", err)
	}
	s.closers = append(s.closers, func() error { annotator.Close(); return nil })
	if err := s.serve(ctx, cfg, "annotator", func(g *grpc.Server) { annotator.Register(g) }); err != nil {
		return nil, err
	}

	dial := func(name string) (*grpc.ClientConn, error) {
		conn, err := client.Dial(s.Addrs[name], client.Config{Telemetry: cfg.Telemetry})
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", name, err)
		}
		s.conns = append(s.conns, conn)
		return conn, nil
	}
	oc := cfg.Orchestrator
	for name, set := range map[string]func(*grpc.ClientConn){
		"parser":    func(c *grpc.ClientConn) { oc.Parser = parserv1.NewParserServiceClient(c) },
		"docs":      func(c *grpc.ClientConn) { oc.Docs = docsv1.NewDocsServiceClient(c) },
		"annotator": func(c *grpc.ClientConn) { oc.Annotator = annotatorv1.NewAnnotatorServiceClient(c) },
	} {
		conn, err := dial(name)
		if err != nil {
			return nil, err
		}
		set(conn)
	}
	oc.Logger = cfg.Logger.With("service", "orchestrator")
	if cfg.Telemetry != nil {
		oc.TracerProvider = cfg.Telemetry.TracerProvider()
	}
	orch, err := orchestratorserver.New(oc)
	if err != nil {
		return nil, fmt.Errorf("orchestrator: %w", err)
	}
	s.closers = append(s.closers, orch.Close)
	if err := s.serve(ctx, cfg, "orchestrator", func(g *grpc.Server) { orchestratorv1.RegisterOrchestratorServiceServer(g, orch) }); err != nil {
		return nil, err
	}
	if s.Orchestrator, err = dial("orchestrator"); err != nil {
		return nil, err
	}
	return s, nil
}

// StartParser starts only the parser, for commands that parse without annotating (q4c popularity).
// Close the Suite when done; conn is closed with it.
func StartParser(cfg parserserver.Config, logger *slog.Logger) (_ *Suite, conn *grpc.ClientConn, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Suite{cancel: cancel, errs: make(chan error, 1), Addrs: map[string]string{}}
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
	if err := s.serve(ctx, Config{Logger: logger, ShutdownTimeout: 10 * time.Second}, "parser", func(g *grpc.Server) { parser.Register(g) }); err != nil {
		return nil, nil, err
	}
	conn, err = client.Dial(s.Addrs["parser"], client.Config{})
	if err != nil {
		return nil, nil, fmt.Errorf("dial parser: %w", err)
	}
	s.conns = append(s.conns, conn)
	return s, conn, nil
}

// serve starts one platform server on an ephemeral loopback port.
func (s *Suite) serve(ctx context.Context, cfg Config, name string, register func(*grpc.Server)) error {
	scfg := server.DefaultConfig(name, "127.0.0.1:0")
	scfg.ShutdownTimeout = cfg.ShutdownTimeout
	scfg.LogLevel = "warn"
	opts := []server.Option{}
	if cfg.Telemetry != nil {
		opts = append(opts, server.WithTelemetry(cfg.Telemetry))
	}
	srv, err := server.NewServer(scfg, cfg.Logger.With("service", name), opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	register(srv.GRPC())
	if err := srv.Listen(); err != nil {
		return fmt.Errorf("%s: listen: %w", name, err)
	}
	s.Addrs[name] = srv.Addr().String()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ctx); err != nil {
			s.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
	return nil
}

// Close stops the servers (orchestrator first, so running jobs stop before
// the services they call), closes connections and service resources.
func (s *Suite) Close() error {
	var errs []error
	for i := len(s.conns) - 1; i >= 0; i-- {
		errs = append(errs, s.conns[i].Close())
	}
	s.cancel()
	s.wg.Wait()
	close(s.errs)
	for err := range s.errs {
		errs = append(errs, err)
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}
