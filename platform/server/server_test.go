package server

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/internal/testpb"
	"github.com/query4code/query4code/platform/telemetry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const echoServiceName = "query4code.platform.test.v1.EchoService"

func echo(ctx context.Context, conn *grpc.ClientConn, msg string) error {
	_, err := testpb.NewEchoServiceClient(conn).Echo(ctx, &testpb.EchoRequest{Message: msg, Behavior: testpb.Behavior_BEHAVIOR_ECHO})
	return err
}

func TestHealthServingThenNotServingOnShutdown(t *testing.T) {
	ts := startServer(t, testConfig(), false)
	conn := ts.dial(t, client.Config{})
	health := grpc_health_v1.NewHealthClient(conn)
	ctx := t.Context()

	for _, svc := range []string{"", echoServiceName, grpc_health_v1.Health_ServiceDesc.ServiceName} {
		resp, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: svc})
		if err != nil {
			t.Fatalf("Check(%q): %v", svc, err)
		}
		if resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v, want SERVING", svc, resp.GetStatus())
		}
	}
	_, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "no.such.Service"})
	wantCode(t, err, codes.NotFound)

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch, err := health.Watch(watchCtx, &grpc_health_v1.HealthCheckRequest{Service: echoServiceName})
	if err != nil {
		t.Fatal(err)
	}
	first, err := watch.Recv()
	if err != nil || first.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("first watch update = %v, %v; want SERVING", first, err)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	next, err := watch.Recv()
	if err != nil || next.GetStatus() != grpc_health_v1.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch update after shutdown began = %v, %v; want NOT_SERVING", next, err)
	}
	// Ending the watch lets the graceful stop finish.
	stopWatch()
	if err := <-stopped; err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	if rec := ts.logs.find(t, map[string]any{"msg": "graceful stop timed out; closing remaining RPCs"}); rec != nil {
		t.Errorf("shutdown needed a forced stop: %v", rec)
	}
}

func TestShutdownForcesStopAfterDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.ShutdownTimeout = 400 * time.Millisecond
	ts := startServer(t, cfg, false)
	conn := ts.dial(t, client.Config{})
	// A watch nobody ends keeps GracefulStop waiting until the deadline.
	watch, err := grpc_health_v1.NewHealthClient(conn).Watch(t.Context(), &grpc_health_v1.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := ts.stop(); err != nil {
		t.Fatalf("Serve returned %v, want nil after a forced stop", err)
	}
	if ts.logs.find(t, map[string]any{"msg": "graceful stop timed out; closing remaining RPCs"}) == nil {
		t.Error("no log record of the forced stop")
	}
	if !ts.srv.ForcedStop() {
		t.Error("ForcedStop() = false after the deadline closed the watch")
	}
}

func TestShutdownHooksRunInReverseOrder(t *testing.T) {
	ts := startServer(t, testConfig(), false)
	ts.stopErrExpected = true
	var order []string
	ts.srv.OnShutdown(func(context.Context) error { order = append(order, "first"); return nil })
	ts.srv.OnShutdown(func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("hook context has no deadline")
		}
		order = append(order, "second")
		return errors.New("store close failed")
	})
	err := ts.stop()
	if err == nil || !strings.Contains(err.Error(), "store close failed") {
		t.Errorf("Serve returned %v, want the hook's error", err)
	}
	if !slices.Equal(order, []string{"second", "first"}) {
		t.Errorf("hooks ran %v, want [second first]", order)
	}
}

// TestDrainHookEndsLongStreams: a stream that only ends when the service
// says so (as WatchJob does) no longer holds the graceful stop until the
// forced Stop, because the drain hook runs before GracefulStop waits.
func TestDrainHookEndsLongStreams(t *testing.T) {
	draining := make(chan struct{})
	holdStreams := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if info.FullMethod != testpb.EchoService_EchoStream_FullMethodName {
			return handler(srv, ss)
		}
		if err := ss.SendMsg(&testpb.EchoResponse{Message: "open"}); err != nil {
			return err
		}
		select {
		case <-draining:
			return status.Error(codes.Unavailable, "shutting down")
		case <-ss.Context().Done(): // the forced Stop: the test fails on ForcedStop, it does not hang
			return ss.Context().Err()
		}
	}
	ts := startServer(t, testConfig(), false, WithInterceptors(nil, holdStreams))
	conn := ts.dial(t, client.Config{})
	health := grpc_health_v1.NewHealthClient(conn)
	var healthInHook grpc_health_v1.HealthCheckResponse_ServingStatus
	ts.srv.OnDrain(func(ctx context.Context) error {
		defer close(draining)
		if _, ok := ctx.Deadline(); !ok {
			t.Error("drain hook context has no deadline")
		}
		resp, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
		if err != nil {
			return err
		}
		healthInHook = resp.GetStatus()
		return nil
	})
	stream, err := testpb.NewEchoServiceClient(conn).EchoStream(t.Context(), &testpb.EchoStreamRequest{Message: "x", Repeat: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := ts.stop(); err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	_, err = stream.Recv()
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("stream ended with %v, want the drain hook's Unavailable", err)
	}
	if healthInHook != grpc_health_v1.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health during the drain hook = %v, want NOT_SERVING", healthInHook)
	}
	if ts.srv.ForcedStop() {
		t.Error("shutdown needed a forced stop")
	}
}

// TestHooksStopAtTheirDeadline: a hook that ignores its context does not
// hold shutdown past the budget; its overrun is reported.
func TestHooksStopAtTheirDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.ShutdownTimeout = 200 * time.Millisecond
	ts := startServer(t, cfg, false)
	ts.stopErrExpected = true
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	ignoreDeadline := func(context.Context) error { <-release; return nil }
	ts.srv.OnDrain(ignoreDeadline)
	ts.srv.OnShutdown(ignoreDeadline)
	err := ts.stop()
	for _, want := range []string{"drain hook: hook still running at its deadline", "shutdown hook: hook still running at its deadline"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Serve returned %v, want %q", err, want)
		}
	}
}

func listServices(ctx context.Context, conn *grpc.ClientConn) ([]string, error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = stream.CloseSend() }()
	// A server that ends the stream at once (no reflection, no token) can
	// make Send fail with io.EOF; the status is then read by Recv.
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

func TestReflection(t *testing.T) {
	tests := []struct {
		name       string
		reflection bool
		wantCode   codes.Code
	}{
		{name: "on", reflection: true, wantCode: codes.OK},
		{name: "off", reflection: false, wantCode: codes.Unimplemented},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Reflection = tc.reflection
			ts := startServer(t, cfg, false)
			names, err := listServices(t.Context(), ts.dial(t, client.Config{}))
			wantCode(t, err, tc.wantCode)
			if err != nil {
				return
			}
			for _, want := range []string{echoServiceName, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
				if !slices.Contains(names, want) {
					t.Errorf("services %v lack %s", names, want)
				}
			}
		})
	}
}

func TestAuth(t *testing.T) {
	cfg := testConfig()
	cfg.AuthTokens = []string{"s3cret-one", "s3cret-two"}
	ts := startServer(t, cfg, false)
	anon := ts.dial(t, client.Config{})

	withToken := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(t.Context(), "authorization", tok)
	}
	tests := []struct {
		name string
		ctx  context.Context
		want codes.Code
	}{
		{name: "no token", ctx: t.Context(), want: codes.Unauthenticated},
		{name: "wrong token", ctx: withToken("Bearer s3cret-three"), want: codes.Unauthenticated},
		{name: "prefix of a token", ctx: withToken("Bearer s3cret"), want: codes.Unauthenticated},
		{name: "wrong scheme", ctx: withToken("Basic s3cret-one"), want: codes.Unauthenticated},
		{name: "first token", ctx: withToken("Bearer s3cret-one"), want: codes.OK},
		{name: "second token, lower-case scheme", ctx: withToken("bearer s3cret-two"), want: codes.OK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, echo(tc.ctx, anon, "hi"), tc.want)
			stream, err := testpb.NewEchoServiceClient(anon).EchoStream(tc.ctx, &testpb.EchoStreamRequest{Message: "hi", Repeat: 1})
			if err == nil {
				_, err = stream.Recv()
			}
			wantCode(t, err, tc.want)
		})
	}

	t.Run("health needs no token", func(t *testing.T) {
		resp, err := grpc_health_v1.NewHealthClient(anon).Check(t.Context(), &grpc_health_v1.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Fatalf("Check = %v, %v; want SERVING", resp, err)
		}
	})
	t.Run("reflection needs the token", func(t *testing.T) {
		_, err := listServices(t.Context(), anon)
		wantCode(t, err, codes.Unauthenticated)
		names, err := listServices(withToken("Bearer s3cret-one"), anon)
		if err != nil || !slices.Contains(names, echoServiceName) {
			t.Fatalf("listServices with token = %v, %v", names, err)
		}
	})
	t.Run("client Dial sends the token", func(t *testing.T) {
		conn := ts.dial(t, client.Config{Token: "s3cret-two"})
		if err := echo(t.Context(), conn, "hi"); err != nil {
			t.Fatalf("Echo with Dial token: %v", err)
		}
	})
}

func TestValidationRejectsBadRequests(t *testing.T) {
	ts := startServer(t, testConfig(), false)
	conn := ts.dial(t, client.Config{})
	api := testpb.NewEchoServiceClient(conn)

	tests := []struct {
		name      string
		call      func(ctx context.Context) error
		wantField string
		wantRule  string
	}{
		{
			name: "unary empty message",
			call: func(ctx context.Context) error {
				_, err := api.Echo(ctx, &testpb.EchoRequest{Behavior: testpb.Behavior_BEHAVIOR_ECHO})
				return err
			},
			wantField: "message", wantRule: "string.min_len",
		},
		{
			name: "unary undefined enum",
			call: func(ctx context.Context) error {
				_, err := api.Echo(ctx, &testpb.EchoRequest{Message: "x", Behavior: 42})
				return err
			},
			wantField: "behavior", wantRule: "enum.defined_only",
		},
		{
			name: "server stream repeat out of range",
			call: func(ctx context.Context) error {
				stream, err := api.EchoStream(ctx, &testpb.EchoStreamRequest{Message: "x", Repeat: 0})
				if err != nil {
					return err
				}
				_, err = stream.Recv()
				return err
			},
			wantField: "repeat", wantRule: "uint32.gte_lte",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t.Context())
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("code = %v (%v), want InvalidArgument", st.Code(), err)
			}
			if !strings.Contains(st.Message(), tc.wantField) {
				t.Errorf("message %q does not name field %q", st.Message(), tc.wantField)
			}
			var (
				br         *errdetails.BadRequest
				violations *validate.Violations
			)
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.BadRequest:
					br = d
				case *validate.Violations:
					violations = d
				}
			}
			if br == nil || violations == nil {
				t.Fatalf("details = %v, want BadRequest and buf.validate.Violations", st.Details())
			}
			if len(br.GetFieldViolations()) != 1 {
				t.Fatalf("field violations = %v, want one", br.GetFieldViolations())
			}
			fv := br.GetFieldViolations()[0]
			if fv.GetField() != tc.wantField || fv.GetReason() != tc.wantRule || fv.GetDescription() == "" {
				t.Errorf("field violation = %v, want field %q rule %q with a description", fv, tc.wantField, tc.wantRule)
			}
		})
	}

	if err := echo(t.Context(), conn, "valid"); err != nil {
		t.Errorf("valid request: %v", err)
	}
}

func TestPanicBecomesInternal(t *testing.T) {
	cfg := testConfig()
	cfg.MetricsAddr = "127.0.0.1:0"
	ts := startServer(t, cfg, true)
	conn := ts.dial(t, client.Config{})
	api := testpb.NewEchoServiceClient(conn)

	_, err := api.Echo(t.Context(), &testpb.EchoRequest{Message: "boom", Behavior: testpb.Behavior_BEHAVIOR_PANIC})
	st := status.Convert(err)
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "exploded") {
		t.Fatalf("status = %v %q, want Internal without the panic text", st.Code(), st.Message())
	}
	rec := ts.logs.find(t, map[string]any{"msg": "recovered from panic in gRPC handler"})
	if rec == nil || rec["panic"] != "handler exploded on purpose" || !strings.Contains(rec["stack"].(string), "echoService") {
		t.Errorf("panic log record = %v, want the panic value and a stack", rec)
	}
	// The inner recovery lets logging and metrics see the Internal result.
	if ts.logs.find(t, map[string]any{"msg": "finished call", "grpc.method": "Echo", "grpc.code": "Internal"}) == nil {
		t.Error("no finished-call log record with code Internal")
	}
	body := scrape(t, ts.srv)
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="Internal",grpc_method="Echo",grpc_service="` + echoServiceName + `",grpc_type="unary",service="echo"} 1`,
		`grpc_req_panics_recovered_total{service="echo"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := echo(t.Context(), conn, "after"); err != nil {
		t.Errorf("server unusable after a panic: %v", err)
	}
}

func scrape(t *testing.T, srv *Server) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+srv.MetricsAddr().String()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(body)
}

func TestMetricsScrape(t *testing.T) {
	cfg := testConfig()
	cfg.MetricsAddr = "127.0.0.1:0"
	ts := startServer(t, cfg, true)
	if addr := ts.srv.MetricsAddr(); addr == nil || strings.HasSuffix(addr.String(), ":0") {
		t.Fatalf("MetricsAddr = %v, want the bound port", addr)
	}
	conn := ts.dial(t, client.Config{})
	for range 3 {
		if err := echo(t.Context(), conn, "count me"); err != nil {
			t.Fatal(err)
		}
	}
	body := scrape(t, ts.srv)
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Echo",grpc_service="` + echoServiceName + `",grpc_type="unary",service="echo"} 3`,
		// Registered methods are pre-initialised at zero.
		`grpc_server_started_total{grpc_method="EchoStream",grpc_service="` + echoServiceName + `",grpc_type="server_stream",service="echo"} 0`,
		"grpc_server_handling_seconds_bucket{",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestRateLimitReturnsResourceExhausted(t *testing.T) {
	cfg := testConfig()
	// A bucket of one that takes over 15 minutes to refill: the second call
	// is always over the limit.
	cfg.RateLimit = 0.001
	ts := startServer(t, cfg, false)
	conn := ts.dial(t, client.Config{})
	if err := echo(t.Context(), conn, "one"); err != nil {
		t.Fatalf("first call: %v", err)
	}
	wantCode(t, echo(t.Context(), conn, "two"), codes.ResourceExhausted)
	if ts.echo.callCount("two") != 0 {
		t.Error("the rejected call reached the handler")
	}
	// Probes are never throttled.
	for range 3 {
		if _, err := grpc_health_v1.NewHealthClient(conn).Check(t.Context(), &grpc_health_v1.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check: %v", err)
		}
	}
}

func TestRateLimitIsPerToken(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit = 0.001
	cfg.AuthTokens = []string{"alice-token", "bob-token"}
	ts := startServer(t, cfg, false)
	alice := ts.dial(t, client.Config{Token: "alice-token"})
	bob := ts.dial(t, client.Config{Token: "bob-token"})
	if err := echo(t.Context(), alice, "a1"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, echo(t.Context(), alice, "a2"), codes.ResourceExhausted)
	// Same peer address (bufconn), different token: its own bucket.
	if err := echo(t.Context(), bob, "b1"); err != nil {
		t.Fatalf("bob's first call: %v", err)
	}
}

func TestTLS(t *testing.T) {
	ca := newCA(t, "test-ca")
	otherCA := newCA(t, "other-ca")
	serverCert, serverKey := ca.issue(t, "server", true)
	clientCert, clientKey := ca.issue(t, "client", false)
	strangerCert, strangerKey := otherCA.issue(t, "stranger", false)

	tests := []struct {
		name   string
		mtls   bool
		client client.Config
		want   codes.Code
	}{
		{name: "tls", client: client.Config{CAFile: ca.file}, want: codes.OK},
		{name: "tls with token", client: client.Config{CAFile: ca.file, Token: "t0ken"}, want: codes.OK},
		{name: "tls, client does not trust the CA", client: client.Config{CAFile: otherCA.file}, want: codes.Unavailable},
		{name: "tls, plaintext client", client: client.Config{}, want: codes.Unavailable},
		{name: "mtls", mtls: true, client: client.Config{CAFile: ca.file, CertFile: clientCert, KeyFile: clientKey}, want: codes.OK},
		{name: "mtls, no client certificate", mtls: true, client: client.Config{CAFile: ca.file}, want: codes.Unavailable},
		{name: "mtls, certificate from another CA", mtls: true, client: client.Config{CAFile: ca.file, CertFile: strangerCert, KeyFile: strangerKey}, want: codes.Unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.TLSCert, cfg.TLSKey = serverCert, serverKey
			cfg.AuthTokens = []string{"t0ken"}
			if tc.mtls {
				cfg.TLSClientCA = ca.file
			}
			ts := startServer(t, cfg, true)
			conn := ts.dial(t, tc.client)
			ctx := t.Context()
			if tc.client.Token == "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer t0ken")
			}
			wantCode(t, echo(ctx, conn, "secure"), tc.want)
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	ca := newCA(t, "ca")
	cert, key := ca.issue(t, "server", true)
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{name: "missing key file", edit: func(c *Config) { c.TLSCert, c.TLSKey = cert, cert+".missing" }},
		{name: "key does not match", edit: func(c *Config) { c.TLSCert, c.TLSKey = cert, ca.file }},
		{name: "client CA is not PEM", edit: func(c *Config) { c.TLSCert, c.TLSKey, c.TLSClientCA = cert, key, key }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.edit(&cfg)
			if _, err := NewServer(cfg, discardLogger); err == nil {
				t.Fatal("NewServer succeeded, want a TLS error")
			}
		})
	}
}

func TestClientRetriesUnavailable(t *testing.T) {
	ts := startServer(t, testConfig(), false)
	api := testpb.NewEchoServiceClient(ts.dial(t, client.Config{}))
	tests := []struct {
		msg       string
		failTimes uint32
		want      codes.Code
		wantCalls int
	}{
		{msg: "recovers", failTimes: 2, want: codes.OK, wantCalls: 3},
		{msg: "gives up", failTimes: 9, want: codes.Unavailable, wantCalls: 4},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			_, err := api.Echo(t.Context(), &testpb.EchoRequest{
				Message: tc.msg, Behavior: testpb.Behavior_BEHAVIOR_FAIL_UNAVAILABLE, FailTimes: tc.failTimes,
			})
			wantCode(t, err, tc.want)
			if got := ts.echo.callCount(tc.msg); got != tc.wantCalls {
				t.Errorf("handler ran %d times, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestTraceIDInLogLine(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{
		ServiceName:    "echo",
		SpanProcessors: []sdktrace.SpanProcessor{recorder},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	ts := startServer(t, testConfig(), false, WithTelemetry(tel))
	conn := ts.dial(t, client.Config{Telemetry: tel})
	ctx, span := tel.TracerProvider().Tracer("test").Start(t.Context(), "caller")
	err = echo(ctx, conn, "traced")
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	traceID := span.SpanContext().TraceID().String()

	rec := ts.logs.find(t, map[string]any{"msg": "finished call", "grpc.method": "Echo"})
	if rec == nil {
		t.Fatal("no finished-call log record")
	}
	if rec["trace_id"] != traceID || rec["span_id"] == "" || rec["service"] != "echo" {
		t.Errorf("log record %v: want trace_id %s, a span_id and service echo", rec, traceID)
	}
	var serverSpan sdktrace.ReadOnlySpan
	for _, s := range recorder.Ended() {
		if s.SpanKind().String() == "server" && s.Name() == echoServiceName+"/Echo" {
			serverSpan = s
		}
	}
	if serverSpan == nil || serverSpan.SpanContext().TraceID().String() != traceID {
		t.Errorf("no server span in trace %s among %d spans", traceID, len(recorder.Ended()))
	}
	for _, s := range recorder.Ended() {
		if strings.HasPrefix(s.Name(), "grpc.health.v1.Health/") {
			t.Errorf("health check traced: %s", s.Name())
		}
	}
}

func TestListenEphemeralPort(t *testing.T) {
	srv, err := NewServer(testConfig(), discardLogger)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != nil {
		t.Errorf("Addr before Listen = %v, want nil", srv.Addr())
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	if addr == nil || strings.HasSuffix(addr.String(), ":0") {
		t.Fatalf("Addr = %v, want a bound port", addr)
	}
	if srv.MetricsAddr() != nil {
		t.Errorf("MetricsAddr = %v, want nil with metrics off", srv.MetricsAddr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Serve(ctx); err != nil {
		t.Errorf("Serve with a done context = %v, want nil", err)
	}
	if err := srv.Serve(context.Background()); err == nil {
		t.Error("second Serve succeeded, want an error")
	}
}

func TestServeReportsListenFailure(t *testing.T) {
	first, err := NewServer(testConfig(), discardLogger)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = first.Serve(ctx)
	})
	cfg := testConfig()
	cfg.Addr = first.Addr().String()
	second, err := NewServer(cfg, discardLogger)
	if err != nil {
		t.Fatal(err)
	}
	hookRan := false
	second.OnShutdown(func(context.Context) error { hookRan = true; return nil })
	if err := second.Serve(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Serve on a taken port = %v, want a listen error", err)
	}
	if !hookRan {
		t.Error("shutdown hook did not run after the listen failure")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "no service", edit: func(c *Config) { c.Service = "" }, wantErr: "service name"},
		{name: "no addr", edit: func(c *Config) { c.Addr = "" }, wantErr: "listen address"},
		{name: "cert without key", edit: func(c *Config) { c.TLSCert = "c.pem" }, wantErr: "tls-cert and tls-key"},
		{name: "client CA without cert", edit: func(c *Config) { c.TLSClientCA = "ca.pem" }, wantErr: "tls-client-ca"},
		{name: "blank token", edit: func(c *Config) { c.AuthTokens = []string{"ok", " "} }, wantErr: "auth token 2"},
		{name: "zero shutdown", edit: func(c *Config) { c.ShutdownTimeout = 0 }, wantErr: "shutdown timeout"},
		{name: "bad level", edit: func(c *Config) { c.LogLevel = "chatty" }, wantErr: "log level"},
		{name: "zero message size", edit: func(c *Config) { c.MaxRecvMsgBytes = 0 }, wantErr: "message sizes"},
		{name: "negative rate", edit: func(c *Config) { c.RateLimit = -1 }, wantErr: "rate limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig("parser", ":50051")
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tc.wantErr)
			}
			if _, err := NewServer(cfg, discardLogger); err == nil {
				t.Error("NewServer accepted an invalid config")
			}
		})
	}
}

func TestRegisterFlags(t *testing.T) {
	t.Setenv("Q4C_PARSER_ADDR", ":6001")
	t.Setenv("Q4C_PARSER_RATE_LIMIT", "5")
	t.Setenv("Q4C_AUTH_TOKEN", "env-token-1, env-token-2")
	t.Setenv("Q4C_PARSER_REFLECTION", "false")
	t.Setenv("Q4C_PARSER_SHUTDOWN_TIMEOUT", "3s")

	cfg := DefaultConfig("parser", ":50051")
	fs := flag.NewFlagSet("parser", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	if strings.Contains(usage.String(), "env-token") {
		t.Errorf("usage leaks the token:\n%s", usage.String())
	}
	for _, want := range []string{"Q4C_PARSER_ADDR", "Q4C_AUTH_TOKEN", "Q4C_PARSER_METRICS_ADDR", "Q4C_PARSER_TLS_CLIENT_CA", "Q4C_PARSER_MAX_RECV_MSG_BYTES"} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("usage lacks %s", want)
		}
	}

	if err := fs.Parse([]string{"--addr", "127.0.0.1:7000", "--log-level", "debug", "--tls-cert", "c.pem", "--tls-key", "k.pem"}); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig("parser", "127.0.0.1:7000")
	want.RateLimit = 5
	want.AuthTokens = []string{"env-token-1", "env-token-2"}
	want.Reflection = false
	want.ShutdownTimeout = 3 * time.Second
	want.LogLevel = "debug"
	want.TLSCert, want.TLSKey = "c.pem", "k.pem"
	if cfg.Addr != want.Addr || cfg.RateLimit != want.RateLimit || !slices.Equal(cfg.AuthTokens, want.AuthTokens) ||
		cfg.Reflection != want.Reflection || cfg.ShutdownTimeout != want.ShutdownTimeout || cfg.LogLevel != want.LogLevel ||
		cfg.TLSCert != want.TLSCert || cfg.TLSKey != want.TLSKey || cfg.MaxRecvMsgBytes != want.MaxRecvMsgBytes {
		t.Errorf("config = %+v\nwant     %+v", cfg, want)
	}
}

func TestRunStopsCleanlyOnSIGTERM(t *testing.T) {
	cfg := testConfig()
	cfg.LogLevel = "error"
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), cfg, func(srv *Server) error {
			testpb.RegisterEchoServiceServer(srv.GRPC(), newEchoService())
			if err := srv.Listen(); err != nil {
				return err
			}
			addrs <- srv.Addr().String()
			return nil
		})
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	conn, err := client.Dial(addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	// Once health says SERVING, Run's signal handler is in place.
	resp, err := grpc_health_v1.NewHealthClient(conn).Check(t.Context(), &grpc_health_v1.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", resp, err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after SIGTERM = %v, want nil", err)
	}
}

func TestRunReportsRegisterError(t *testing.T) {
	cfg := testConfig()
	cfg.LogLevel = "error"
	err := Run(context.Background(), cfg, func(*Server) error { return errors.New("store locked") })
	if err == nil || !strings.Contains(err.Error(), "store locked") {
		t.Fatalf("Run = %v, want the register error", err)
	}
}

func TestSharedMetricsRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, name := range []string{"parser", "docs"} {
		cfg := DefaultConfig(name, "127.0.0.1:0")
		if _, err := NewServer(cfg, discardLogger, WithMetricsRegistry(reg)); err != nil {
			t.Fatalf("NewServer(%s) with a shared registry: %v", name, err)
		}
	}
	// The same service twice in one registry is a wiring mistake.
	if _, err := NewServer(DefaultConfig("docs", "127.0.0.1:0"), discardLogger, WithMetricsRegistry(reg)); err == nil {
		t.Error("registering docs twice in one registry succeeded")
	}
}
