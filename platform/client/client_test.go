package client

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestIsLocalTarget(t *testing.T) {
	tests := []struct {
		target string
		want   bool
	}{
		{"127.0.0.1:50051", true},
		{"127.9.9.9:50051", true},
		{"localhost:50051", true},
		{"LOCALHOST:1", true},
		{"api.localhost:443", true},
		{"[::1]:50051", true},
		{"dns:///localhost:50051", true},
		{"dns://8.8.8.8/localhost:50051", true},
		{"passthrough:///127.0.0.1:50051", true},
		{"ipv4:127.0.0.1:50051", true},
		{"unix:///run/q4c/parser.sock", true},
		{"unix:parser.sock", true},
		{"unix-abstract:q4c", true},
		{"annotator:50053", false},
		{"dns:///annotator-headless:50053", false},
		{"10.0.0.7:50051", false},
		{"0.0.0.0:50051", false},
		{"localhost.example.com:50051", false},
		{"passthrough:///bufnet", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := IsLocalTarget(tc.target); got != tc.want {
			t.Errorf("IsLocalTarget(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

func TestDialTokenPolicy(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		cfg     Config
		wantErr string
	}{
		{name: "plaintext without token", target: "annotator:50053", cfg: Config{}},
		{name: "token to loopback", target: "127.0.0.1:50051", cfg: Config{Token: "t"}},
		{name: "token to remote in plaintext", target: "dns:///annotator-headless:50053", cfg: Config{Token: "t"}, wantErr: "without TLS"},
		{name: "token to remote, explicitly allowed", target: "annotator:50053", cfg: Config{Token: "t", AllowInsecureToken: true}},
		{name: "token to remote over TLS", target: "annotator:50053", cfg: Config{Token: "t", TLS: true}},
		{name: "missing CA file", target: "annotator:50053", cfg: Config{CAFile: "/nonexistent/ca.pem"}, wantErr: "read CA bundle"},
		{name: "cert without key", target: "annotator:50053", cfg: Config{CertFile: "c.pem"}, wantErr: "set together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := Dial(tc.target, tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				_ = conn.Close()
				return
			}
			if err == nil {
				_ = conn.Close()
				t.Fatal("Dial succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestDialRejectsNonPEMCA(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if conn, err := Dial("annotator:50053", Config{CAFile: file}); err == nil {
		_ = conn.Close()
		t.Fatal("Dial succeeded with a non-PEM CA bundle")
	}
}

func TestBearerTokenMetadata(t *testing.T) {
	creds := bearerToken{token: "abc", requireTLS: true}
	md, err := creds.GetRequestMetadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if md["authorization"] != "Bearer abc" || !creds.RequireTransportSecurity() {
		t.Errorf("metadata = %v, requireTLS = %v", md, creds.RequireTransportSecurity())
	}
}
