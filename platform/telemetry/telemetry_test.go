package telemetry

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clearOTelEnv unsets the variables Setup reads so the host environment
// cannot leak into a test.
func clearOTelEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{
		"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_INSECURE",
		"OTEL_PROPAGATORS", "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	} {
		t.Setenv(name, "")
	}
}

func emitSpan(t *testing.T, p *Provider, name string) trace.SpanContext {
	t.Helper()
	_, span := p.TracerProvider().Tracer("telemetry-test").Start(context.Background(), name)
	span.End()
	return span.SpanContext()
}

func TestSetupDefaultsRecordWithoutExporter(t *testing.T) {
	clearOTelEnv(t)
	recorder := tracetest.NewSpanRecorder()
	p, err := Setup(context.Background(), Config{ServiceName: "parser", ServiceVersion: "1.2.3", SpanProcessors: []sdktrace.SpanProcessor{recorder}})
	if err != nil {
		t.Fatal(err)
	}
	sc := emitSpan(t, p, "work")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !sc.IsValid() || !sc.IsSampled() {
		t.Errorf("span context %v: want a valid, sampled span", sc)
	}
	ended := recorder.Ended()
	if len(ended) != 1 || ended[0].Name() != "work" {
		t.Fatalf("recorded %d spans, want one named work", len(ended))
	}
	attrs := map[attribute.Key]string{}
	for _, kv := range ended[0].Resource().Attributes() {
		attrs[kv.Key] = kv.Value.String()
	}
	if attrs["service.name"] != "parser" || attrs["service.version"] != "1.2.3" {
		t.Errorf("resource = %v, want service.name parser and service.version 1.2.3", attrs)
	}
	// Shutdown twice is harmless.
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestServiceNameFromEnvironmentWins(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "q4c-parser-canary")
	recorder := tracetest.NewSpanRecorder()
	p, err := Setup(context.Background(), Config{ServiceName: "parser", SpanProcessors: []sdktrace.SpanProcessor{recorder}})
	if err != nil {
		t.Fatal(err)
	}
	emitSpan(t, p, "work")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := recorder.Ended()[0].Resource().Set().Value("service.name")
	if got.AsString() != "q4c-parser-canary" {
		t.Errorf("service.name = %q, want the OTEL_SERVICE_NAME value", got.AsString())
	}
}

func TestConsoleExporterWritesOnShutdown(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	var buf lockedBuffer
	p, err := Setup(context.Background(), Config{ServiceName: "docs", ConsoleWriter: &buf})
	if err != nil {
		t.Fatal(err)
	}
	sc := emitSpan(t, p, "lookup-apis")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `"Name":"lookup-apis"`) || !strings.Contains(out, sc.TraceID().String()) {
		t.Errorf("console output %q lacks the span name or trace id", out)
	}
}

func TestDisabledSDKIsNoop(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	p, err := Setup(context.Background(), Config{ServiceName: "docs"})
	if err != nil {
		t.Fatal(err)
	}
	if sc := emitSpan(t, p, "x"); sc.IsValid() {
		t.Errorf("span context %v is valid, want a no-op span", sc)
	}
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Errorf("ForceFlush: %v", err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestSetupRejectsBadEnvironment(t *testing.T) {
	tests := []struct {
		name, key, value, wantErr string
	}{
		{name: "unknown exporter", key: "OTEL_TRACES_EXPORTER", value: "zipkin", wantErr: "unsupported exporter"},
		{name: "unknown protocol", key: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "http/json", wantErr: "unsupported protocol"},
		{name: "unknown propagator", key: "OTEL_PROPAGATORS", value: "tracecontext,b3", wantErr: "unsupported propagator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
			t.Setenv(tc.key, tc.value)
			p, err := Setup(context.Background(), Config{})
			if err == nil {
				_ = p.Shutdown(context.Background())
				t.Fatal("Setup succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestPropagators(t *testing.T) {
	tests := []struct {
		env         string
		wantFields  []string
		wantBaggage bool
	}{
		{env: "", wantFields: []string{"baggage", "traceparent", "tracestate"}, wantBaggage: true},
		{env: "tracecontext", wantFields: []string{"traceparent", "tracestate"}},
		{env: "none"},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			clearOTelEnv(t)
			t.Setenv("OTEL_PROPAGATORS", tc.env)
			p, err := Setup(context.Background(), Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Shutdown(context.Background()) })

			fields := p.Propagator().Fields()
			got := map[string]bool{}
			for _, f := range fields {
				got[f] = true
			}
			if len(got) != len(tc.wantFields) {
				t.Errorf("fields = %v, want %v", fields, tc.wantFields)
			}
			for _, f := range tc.wantFields {
				if !got[f] {
					t.Errorf("fields = %v, want %q", fields, f)
				}
			}

			member, err := baggage.NewMember("job", "42")
			if err != nil {
				t.Fatal(err)
			}
			bag, err := baggage.New(member)
			if err != nil {
				t.Fatal(err)
			}
			carrier := propagation.MapCarrier{}
			p.Propagator().Inject(baggage.ContextWithBaggage(context.Background(), bag), carrier)
			if hasBaggage := carrier.Get("baggage") != ""; hasBaggage != tc.wantBaggage {
				t.Errorf("baggage injected = %v, want %v", hasBaggage, tc.wantBaggage)
			}
		})
	}
}

// fakeCollector is an OTLP/gRPC trace collector that records span names.
type fakeCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
}

func (c *fakeCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, spanNames(req)...)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (c *fakeCollector) received() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}

func spanNames(req *coltracepb.ExportTraceServiceRequest) []string {
	var names []string
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				names = append(names, s.GetName())
			}
		}
	}
	return names
}

func TestOTLPGRPCExporterFlushesOnShutdown(t *testing.T) {
	clearOTelEnv(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	collector := &fakeCollector{}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, collector)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+lis.Addr().String())
	t.Setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
	p, err := Setup(context.Background(), Config{ServiceName: "annotator"})
	if err != nil {
		t.Fatal(err)
	}
	emitSpan(t, p, "summarize")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := collector.received(); len(got) != 1 || got[0] != "summarize" {
		t.Errorf("collector received %v, want [summarize]", got)
	}
}

func TestOTLPHTTPExporterFlushesOnShutdown(t *testing.T) {
	clearOTelEnv(t)
	var (
		mu    sync.Mutex
		names []string
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		req := &coltracepb.ExportTraceServiceRequest{}
		if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, req) != nil {
			http.Error(w, "bad export request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		names = append(names, spanNames(req)...)
		mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(collector.Close)

	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	p, err := Setup(context.Background(), Config{ServiceName: "orchestrator"})
	if err != nil {
		t.Fatal(err)
	}
	emitSpan(t, p, "job")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(names) != 1 || names[0] != "job" {
		t.Errorf("collector received %v, want [job]", names)
	}
}

// lockedBuffer is a bytes.Buffer safe for the batch exporter's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
