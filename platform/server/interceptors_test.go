package server

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc/peer"

	"github.com/query4code/query4code/platform/client"
)

func peerContext(addr string) context.Context {
	tcp, _ := net.ResolveTCPAddr("tcp", addr)
	return peer.NewContext(context.Background(), &peer.Peer{Addr: tcp})
}

// fakeClock is a manually advanced clock for the limiter.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestClientLimiter(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newClientLimiter(2, 0, clock.now) // 2/s, burst 2
	alice := peerContext("10.0.0.1:40000")
	aliceOtherConn := peerContext("10.0.0.1:40001")
	bob := peerContext("10.0.0.2:40000")

	steps := []struct {
		name    string
		ctx     context.Context
		advance time.Duration
		wantErr bool
	}{
		{name: "alice 1", ctx: alice},
		{name: "alice 2 (burst)", ctx: aliceOtherConn},
		{name: "alice 3 over the limit, same IP other port", ctx: aliceOtherConn, wantErr: true},
		{name: "bob has his own bucket", ctx: bob},
		{name: "alice after half a second: one token back", ctx: alice, advance: 500 * time.Millisecond},
		{name: "alice again, empty", ctx: alice, wantErr: true},
	}
	for _, s := range steps {
		clock.advance(s.advance)
		err := l.Limit(s.ctx)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: Limit = %v, wantErr %v", s.name, err, s.wantErr)
		}
		if err != nil && !errors.Is(err, errRateLimited) {
			t.Fatalf("%s: error %v does not wrap errRateLimited", s.name, err)
		}
	}
	if got := l.clients(); got != 2 {
		t.Fatalf("clients = %d, want 2", got)
	}
	// After the idle period and a sweep interval, only the active client stays.
	clock.advance(limiterSweepEvery)
	if err := l.Limit(bob); err != nil {
		t.Fatalf("bob after idling: %v", err)
	}
	if got := l.clients(); got != 1 {
		t.Errorf("clients after sweep = %d, want 1", got)
	}
}

func TestClientIDPrefersToken(t *testing.T) {
	ctx := context.WithValue(peerContext("10.0.0.1:1"), clientIDKey{}, "token:abcd")
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{name: "token", ctx: ctx, want: "token:abcd"},
		{name: "peer ip", ctx: peerContext("10.0.0.1:1"), want: "ip:10.0.0.1"},
		{name: "no peer", ctx: context.Background(), want: "unknown"},
	}
	for _, tc := range tests {
		if got := clientID(tc.ctx); got != tc.want {
			t.Errorf("%s: clientID = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestBearerAuthNeverStoresToken(t *testing.T) {
	authFn := bearerAuth([]string{"tok"})
	ctx := incomingAuth("Bearer tok")
	out, err := authFn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := out.Value(clientIDKey{}).(string)
	if id == "" || id == "token:tok" {
		t.Errorf("client id %q should be a digest prefix", id)
	}
}

func TestKeyPairReloads(t *testing.T) {
	ca := newCA(t, "ca")
	certA, keyA := ca.issue(t, "server-a", true)
	certB, keyB := ca.issue(t, "server-b", true)
	r := &keyPairReloader{certFile: certA, keyFile: keyA}
	first, err := r.get()
	if err != nil {
		t.Fatal(err)
	}
	// Rotate: overwrite the files and move their mtime forward.
	for _, pair := range [][2]string{{certB, certA}, {keyB, keyA}} {
		data, err := os.ReadFile(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pair[1], data, 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Minute)
		if err := os.Chtimes(pair[1], later, later); err != nil {
			t.Fatal(err)
		}
	}
	second, err := r.get()
	if err != nil {
		t.Fatal(err)
	}
	leafA, _ := x509.ParseCertificate(first.Certificate[0])
	leafB, _ := x509.ParseCertificate(second.Certificate[0])
	if leafA.Subject.CommonName != "server-a" || leafB.Subject.CommonName != "server-b" {
		t.Errorf("served %q then %q, want server-a then server-b", leafA.Subject.CommonName, leafB.Subject.CommonName)
	}
	// A broken rotation keeps the last good pair.
	if err := os.WriteFile(keyA, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := r.get()
	if err != nil || third != second {
		t.Errorf("after a bad rotation got %v, %v; want the previous pair", third, err)
	}
}

func TestDialTokenOverLoopbackTCP(t *testing.T) {
	cfg := testConfig()
	cfg.AuthTokens = []string{"loopback-token"}
	ts := startServer(t, cfg, true)
	conn, err := client.Dial(ts.srv.Addr().String(), client.Config{Token: "loopback-token"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := echo(t.Context(), conn, "hello"); err != nil {
		t.Fatalf("Echo with token over loopback: %v", err)
	}
}
