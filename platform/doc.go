// Package platform is the shared server kit of the query4code services. It
// holds no code itself; its packages are:
//
//   - config: flags with environment fallbacks (flag > env > default), and
//     StateDir, where state on disk goes by default.
//     EnvString/EnvBool/EnvInt/EnvFloat64/EnvDuration(+Var), EnvStringsVar,
//     EnvVar, EnvName(service, flag) -> "Q4C_<SERVICE>_<FLAG>", Parse(fs,
//     args) (reports unparsable variables), SplitList, DefaultMaxMsgBytes.
//   - logging: New(w, level, service) JSON slog logger whose records carry
//     trace_id/span_id from the context's span; NewTraceHandler; ParseLevel.
//   - telemetry: Setup(ctx, Config) builds the tracer provider and W3C
//     tracecontext+baggage propagators from the OTEL_* variables (no exporter
//     by default; OTEL_TRACES_EXPORTER=otlp|console). Provider.SetGlobal,
//     ForceFlush, Shutdown.
//   - server: Config (+DefaultConfig, RegisterFlags, Validate), NewServer,
//     Server (GRPC, Listen, Addr, MetricsAddr, Serve, OnDrain, OnShutdown,
//     ForcedStop, Logger, Health, Registerer) and Run, the whole life of a
//     service process.
//   - client: Dial(target, Config) with tracing, TLS/mTLS, bearer token,
//     round robin, retries on UNAVAILABLE and keepalive.
//   - grpcerr: helpers for each service's toStatus: FromContext, New,
//     InvalidArgument, FieldViolation, ErrorInfo, Internal, Reason, and
//     Table, a service's map from domain errors to code, reason and field.
//   - redact: the secret detector (API keys, tokens, private keys, passwords,
//     connection strings) of the annotator's prompts and the orchestrator's
//     output: Text(s) -> Result{Text, Count, ByKind}, String(s).
//
// # Server
//
// Every RPC passes, outermost first: recovery, logging, Prometheus metrics,
// bearer-token auth (when tokens are configured), per-client rate limiting
// (when --rate-limit > 0), protovalidate (InvalidArgument with
// buf.validate.Violations and google.rpc.BadRequest details), the caller's
// WithInterceptors, and recovery again so handler panics are logged and
// counted as Internal. grpc.health.v1.Health skips logging, auth and rate
// limiting; reflection needs the token like any other service. Tracing is an
// otelgrpc stats handler (health checks are not traced).
//
// A service's main.go:
//
//	func main() {
//		cfg := server.DefaultConfig("parser", ":50051")
//		fs := flag.NewFlagSet("parser", flag.ExitOnError)
//		cfg.RegisterFlags(fs)
//		root := config.EnvString(fs, "allowed-root", config.EnvName("parser", "allowed-root"), ".", "root of local sources")
//		if err := config.Parse(fs, os.Args[1:]); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(2)
//		}
//		err := server.Run(context.Background(), cfg, func(s *server.Server) error {
//			parserv1.RegisterParserServiceServer(s.GRPC(), parserserver.New(*root, s.Logger()))
//			return nil
//		})
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// Several services in one process (the q4c all-in-one mode) share one
// telemetry provider and build their servers directly:
//
//	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "q4c"})
//	tel.SetGlobal()
//	defer tel.Shutdown(context.WithoutCancel(ctx))
//	srv, err := server.NewServer(server.DefaultConfig("parser", "127.0.0.1:0"), logger, server.WithTelemetry(tel))
//	parserv1.RegisterParserServiceServer(srv.GRPC(), ...)
//	err = srv.Listen()      // srv.Addr() now holds the chosen port
//	go srv.Serve(ctx)       // returns nil once ctx is done and shutdown finished
//
// Tests serve over bufconn with server.WithListener(lis) and dial with
// client.Dial("passthrough:///bufnet", client.Config{DialOptions:
// []grpc.DialOption{grpc.WithContextDialer(...)}}).
package platform
