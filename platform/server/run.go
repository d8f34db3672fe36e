package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/query4code/query4code/platform/logging"
	"github.com/query4code/query4code/platform/telemetry"
)

// Run is the whole life of a service process: it sets up logging (stderr,
// cfg.LogLevel) and telemetry from the OTEL_* variables (installed as the
// otel globals), builds the server, lets register add the service, then
// serves until ctx is done or SIGINT/SIGTERM arrives, and shuts down within
// cfg.ShutdownTimeout. It returns nil after a clean shutdown, so main can
// exit 0 on SIGTERM.
func Run(ctx context.Context, cfg Config, register func(*Server) error, opts ...Option) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, restore default handling: a second one kills.
	context.AfterFunc(ctx, stop)

	if err := cfg.Validate(); err != nil {
		return err
	}
	level, err := logging.ParseLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	logger := logging.New(os.Stderr, level, cfg.Service)

	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: cfg.Service, ServiceVersion: moduleVersion()})
	if err != nil {
		return fmt.Errorf("%s: set up telemetry: %w", cfg.Service, err)
	}
	tel.SetGlobal()

	srv, err := NewServer(cfg, logger, append([]Option{withOwnedTelemetry(tel)}, opts...)...)
	if err != nil {
		return errors.Join(err, tel.Shutdown(context.WithoutCancel(ctx)))
	}
	if err := register(srv); err != nil {
		err = fmt.Errorf("%s: register services: %w", cfg.Service, err)
		return errors.Join(err, srv.cleanup(context.WithoutCancel(ctx), cfg.ShutdownTimeout))
	}
	return srv.Serve(ctx)
}

// moduleVersion is the main module's version when built from a tagged module.
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "(devel)" {
		return ""
	}
	return info.Main.Version
}
