package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/internal/testpb"
	"github.com/query4code/query4code/platform/logging"
)

// echoService implements the test API; it counts calls per message so tests
// can see retries.
type echoService struct {
	testpb.UnimplementedEchoServiceServer

	mu    sync.Mutex
	calls map[string]int
}

func newEchoService() *echoService {
	return &echoService{calls: make(map[string]int)}
}

func (e *echoService) Echo(_ context.Context, req *testpb.EchoRequest) (*testpb.EchoResponse, error) {
	e.mu.Lock()
	e.calls[req.GetMessage()]++
	n := e.calls[req.GetMessage()]
	e.mu.Unlock()
	switch req.GetBehavior() {
	case testpb.Behavior_BEHAVIOR_PANIC:
		panic("handler exploded on purpose")
	case testpb.Behavior_BEHAVIOR_FAIL_UNAVAILABLE:
		if n <= int(req.GetFailTimes()) {
			return nil, status.Errorf(codes.Unavailable, "failing call %d of %d on purpose", n, req.GetFailTimes())
		}
	}
	return &testpb.EchoResponse{Message: req.GetMessage()}, nil
}

func (e *echoService) EchoStream(req *testpb.EchoStreamRequest, stream grpc.ServerStreamingServer[testpb.EchoResponse]) error {
	for range req.GetRepeat() {
		if err := stream.Send(&testpb.EchoResponse{Message: req.GetMessage()}); err != nil {
			return err
		}
	}
	return nil
}

func (e *echoService) callCount(msg string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[msg]
}

// logBuffer collects JSON log lines written from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the parsed log records.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, rec)
	}
	return out
}

// find returns the first record whose fields equal all of want.
func (b *logBuffer) find(t *testing.T, want map[string]any) map[string]any {
	t.Helper()
	for _, rec := range b.records(t) {
		match := true
		for k, v := range want {
			if rec[k] != v {
				match = false
				break
			}
		}
		if match {
			return rec
		}
	}
	return nil
}

// testServer is a running server plus what tests need to reach it.
type testServer struct {
	srv  *Server
	echo *echoService
	logs *logBuffer
	// dial connects a client; for bufconn servers it adds the in-memory dialer.
	dial func(t testing.TB, cfg client.Config) *grpc.ClientConn
	// stop cancels Serve and returns its result (once; later calls repeat it).
	stop func() error
	// stopErrExpected skips the cleanup's check that Serve returned nil.
	stopErrExpected bool
}

// startServer serves the echo service with cfg. With tcp false it serves over
// bufconn; with true on cfg.Addr (use 127.0.0.1:0).
func startServer(t testing.TB, cfg Config, tcp bool, opts ...Option) *testServer {
	t.Helper()
	logs := &logBuffer{}
	logger := logging.New(logs, slog.LevelDebug, cfg.Service)
	var lis *bufconn.Listener
	if !tcp {
		lis = bufconn.Listen(1 << 20)
		opts = append(opts, WithListener(lis))
	}
	srv, err := NewServer(cfg, logger, opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	echo := newEchoService()
	testpb.RegisterEchoServiceServer(srv.GRPC(), echo)
	if err := srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var (
		once    sync.Once
		stopErr error
	)
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}
	ts := &testServer{srv: srv, echo: echo, logs: logs, stop: stop}
	t.Cleanup(func() {
		if err := stop(); err != nil && !ts.stopErrExpected {
			t.Errorf("Serve returned %v, want nil", err)
		}
	})

	ts.dial = func(t testing.TB, ccfg client.Config) *grpc.ClientConn {
		t.Helper()
		target := srv.Addr().String()
		if lis != nil {
			target = "passthrough:///bufnet"
			ccfg.AllowInsecureToken = true
			ccfg.DialOptions = append(ccfg.DialOptions, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
				return lis.DialContext(ctx)
			}))
		}
		conn, err := client.Dial(target, ccfg)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	return ts
}

var discardLogger = slog.New(slog.DiscardHandler)

func testConfig() Config {
	cfg := DefaultConfig("echo", "127.0.0.1:0")
	cfg.ShutdownTimeout = 30 * time.Second
	return cfg
}

// certAuthority signs certificates for the TLS tests.
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

var serial int64

func newCA(t *testing.T, name string) *certAuthority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), name+".pem")
	writePEM(t, file, "CERTIFICATE", der)
	return &certAuthority{cert: cert, key: key, file: file}
}

// issue writes a leaf certificate and key signed by ca and returns the files.
func (ca *certAuthority) issue(t *testing.T, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, file, blockType string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (%v), want %v", got, err, want)
	}
}

func incomingAuth(value string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", value))
}
