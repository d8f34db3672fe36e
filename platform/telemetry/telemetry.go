// Package telemetry sets up OpenTelemetry tracing from the standard OTEL_*
// environment variables.
//
//   - OTEL_TRACES_EXPORTER: comma-separated "otlp", "console" or "none";
//     unset or empty means no exporter (spans are still created and
//     propagated, so trace ids reach the logs).
//   - OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL:
//     "grpc" or "http/protobuf" (the default, as in the specification). The
//     OTLP exporters read their own endpoint, header, TLS and timeout variables.
//   - OTEL_PROPAGATORS: comma-separated "tracecontext", "baggage" or "none";
//     default "tracecontext,baggage".
//   - OTEL_SDK_DISABLED=true: a no-op tracer provider.
//   - OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG)
//     are honoured by the SDK.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Config describes the process for its telemetry resource and lets callers
// add span processors of their own.
type Config struct {
	// ServiceName is the resource's service.name; OTEL_SERVICE_NAME overrides it.
	ServiceName string
	// ServiceVersion is the resource's service.version, if not empty.
	ServiceVersion string
	// SpanProcessors are registered in addition to the exporters chosen by
	// the environment (tests pass a tracetest.SpanRecorder).
	SpanProcessors []sdktrace.SpanProcessor
	// ConsoleWriter receives the console exporter's output; nil means os.Stdout.
	ConsoleWriter io.Writer
}

// Provider owns a tracer provider and the propagators. Its zero value is not
// usable; build one with Setup.
type Provider struct {
	sdk        *sdktrace.TracerProvider // nil when the SDK is disabled
	tracers    trace.TracerProvider
	propagator propagation.TextMapPropagator
}

// Setup builds a Provider from the environment and cfg. It does not touch the
// otel globals; call SetGlobal for that. The caller must call Shutdown.
func Setup(ctx context.Context, cfg Config) (*Provider, error) {
	propagator, err := propagatorFromEnv()
	if err != nil {
		return nil, err
	}
	if disabled, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED")); disabled {
		return &Provider{tracers: noop.NewTracerProvider(), propagator: propagator}, nil
	}

	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	exporters, err := exportersFromEnv(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, exp := range exporters {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	for _, sp := range cfg.SpanProcessors {
		opts = append(opts, sdktrace.WithSpanProcessor(sp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Provider{sdk: tp, tracers: tp, propagator: propagator}, nil
}

// TracerProvider returns the provider's tracer provider.
func (p *Provider) TracerProvider() trace.TracerProvider { return p.tracers }

// Propagator returns the configured text map propagator.
func (p *Provider) Propagator() propagation.TextMapPropagator { return p.propagator }

// SetGlobal installs the tracer provider and propagator as the otel globals,
// which otel.Tracer and instrumentation without explicit options use.
func (p *Provider) SetGlobal() {
	otel.SetTracerProvider(p.tracers)
	otel.SetTextMapPropagator(p.propagator)
}

// ForceFlush exports all ended spans that are still buffered.
func (p *Provider) ForceFlush(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	if err := p.sdk.ForceFlush(ctx); err != nil {
		return fmt.Errorf("flush spans: %w", err)
	}
	return nil
}

// Shutdown flushes buffered spans and stops the exporters. It is safe to call
// more than once; later calls do nothing.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down tracer provider: %w", err)
	}
	return nil
}

func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	if cfg.ServiceName != "" {
		attrs = append(attrs, attribute.String("service.name", cfg.ServiceName))
	}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.ServiceVersion))
	}
	// Later options win: the environment overrides what the caller set.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("build telemetry resource: %w", err)
	}
	return res, nil
}

func exportersFromEnv(ctx context.Context, cfg Config) ([]sdktrace.SpanExporter, error) {
	var exporters []sdktrace.SpanExporter
	fail := func(err error) ([]sdktrace.SpanExporter, error) {
		for _, exp := range exporters {
			_ = exp.Shutdown(ctx)
		}
		return nil, err
	}
	for _, name := range splitList(os.Getenv("OTEL_TRACES_EXPORTER")) {
		switch strings.ToLower(name) {
		case "none":
			continue
		case "otlp":
			exp, err := otlpExporter(ctx)
			if err != nil {
				return fail(err)
			}
			exporters = append(exporters, exp)
		case "console":
			w := cfg.ConsoleWriter
			if w == nil {
				w = os.Stdout
			}
			exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
			if err != nil {
				return fail(fmt.Errorf("create console span exporter: %w", err))
			}
			exporters = append(exporters, exp)
		default:
			return fail(fmt.Errorf("OTEL_TRACES_EXPORTER: unsupported exporter %q (want otlp, console or none)", name))
		}
	}
	return exporters, nil
}

func otlpExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch strings.ToLower(strings.TrimSpace(protocol)) {
	case "grpc":
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("create OTLP/gRPC span exporter: %w", err)
		}
		return exp, nil
	case "", "http/protobuf":
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("create OTLP/HTTP span exporter: %w", err)
		}
		return exp, nil
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: unsupported protocol %q (want grpc or http/protobuf)", protocol)
	}
}

func propagatorFromEnv() (propagation.TextMapPropagator, error) {
	raw, ok := os.LookupEnv("OTEL_PROPAGATORS")
	if !ok || strings.TrimSpace(raw) == "" {
		return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}), nil
	}
	var props []propagation.TextMapPropagator
	for _, name := range splitList(raw) {
		switch strings.ToLower(name) {
		case "tracecontext":
			props = append(props, propagation.TraceContext{})
		case "baggage":
			props = append(props, propagation.Baggage{})
		case "none":
		default:
			return nil, fmt.Errorf("OTEL_PROPAGATORS: unsupported propagator %q (want tracecontext, baggage or none)", name)
		}
	}
	return propagation.NewCompositeTextMapPropagator(props...), nil
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
