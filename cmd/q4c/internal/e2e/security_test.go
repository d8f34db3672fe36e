package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	"github.com/query4code/query4code/platform/client"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

const (
	authToken = "q4c-auth-3f9a1c7e5b2d4068"
	llmAPIKey = "sk-fakellm-9d8c7b6a5f4e3d2c1b0a"
	// plantedSecret is an AWS-style access key written into the repository's code.
	plantedSecret = "AKIAZ7QX4MNB2KW9PLT3"
)

// callEveryMethod calls each RPC of desc on conn with an empty request and
// returns the status code per method. Auth runs before validation, so an
// empty request tells authenticated from not.
func callEveryMethod(t *testing.T, conn *grpc.ClientConn, desc grpc.ServiceDesc) map[string]codes.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := map[string]codes.Code{}
	for _, m := range desc.Methods {
		err := conn.Invoke(ctx, "/"+desc.ServiceName+"/"+m.MethodName, &emptypb.Empty{}, &emptypb.Empty{})
		got[m.MethodName] = status.Code(err)
	}
	for _, s := range desc.Streams {
		stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: s.ServerStreams, ClientStreams: s.ClientStreams},
			"/"+desc.ServiceName+"/"+s.StreamName)
		if err == nil {
			err = stream.SendMsg(&emptypb.Empty{})
		}
		if err == nil {
			_ = stream.CloseSend()
			err = stream.RecvMsg(&emptypb.Empty{})
		}
		got[s.StreamName] = status.Code(err)
	}
	return got
}

// TestSecurityTokenAndNoSecretLeaks configures a bearer token on all four
// services and an API key on the LLM, plants a secret in the repository, and
// exports traces to the console. Every RPC but health needs the token on
// every service; after a job, no log line, trace, fakellm request or output
// file holds the token or the key, and the planted secret reaches neither
// the LLM nor any log or trace (the dataset's code field keeps the user's
// own code as it is).
func TestSecurityTokenAndNoSecretLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	code := "import boto3\n\n\ndef make_client(region):\n    \"\"\"Create an S3 client for the region.\"\"\"\n" +
		"    return boto3.client(\"s3\", region_name=region, aws_access_key_id=\"" + plantedSecret + "\")\n\n\n" +
		"def upload(path, region):\n    \"\"\"Upload a file to the bucket.\"\"\"\n    make_client(region).upload_file(path, \"bucket\", path)\n"
	if err := os.WriteFile(filepath.Join(repo, "app", "storage.py"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}

	var llmLog bytes.Buffer
	llm := startFakeLLM(t, fakellm.Config{APIKey: llmAPIKey, Log: &llmLog})
	env := []string{"Q4C_AUTH_TOKEN=" + authToken, "OTEL_TRACES_EXPORTER=console"}
	parser := processtest.StartEnv(t, env, "parser", "--allowed-roots", repo)
	docs := processtest.StartEnv(t, env, "docs", "--no-installed")
	annotator := processtest.StartEnv(t, append(env, "Q4C_ANNOTATOR_LLM_API_KEY="+llmAPIKey), "annotator",
		"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm")
	outRoot := t.TempDir()
	orchProc := processtest.StartEnv(t, env, "orchestrator", "--parser-addr", parser.Addr, "--docs-addr", docs.Addr,
		"--annotator-addr", annotator.Addr, "--store", filepath.Join(t.TempDir(), "o.db"), "--output-root", outRoot)
	procs := []*processtest.Process{parser, docs, annotator, orchProc}

	services := []struct {
		proc *processtest.Process
		desc grpc.ServiceDesc
	}{
		{parser, parserv1.ParserService_ServiceDesc},
		{docs, docsv1.DocsService_ServiceDesc},
		{annotator, annotatorv1.AnnotatorService_ServiceDesc},
		{orchProc, orchestratorv1.OrchestratorService_ServiceDesc},
	}
	for _, svc := range services {
		anon, err := client.Dial(svc.proc.Addr, client.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = anon.Close() })
		for method, code := range callEveryMethod(t, anon, svc.desc) {
			if code != codes.Unauthenticated {
				t.Errorf("%s/%s without a token: %v, want Unauthenticated", svc.desc.ServiceName, method, code)
			}
		}
		if _, err := healthpb.NewHealthClient(anon).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Errorf("%s health without a token: %v, want OK", svc.proc.Name, err)
		}
		wrong, err := client.Dial(svc.proc.Addr, client.Config{Token: "not-" + authToken})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = wrong.Close() })
		for method, code := range callEveryMethod(t, wrong, svc.desc) {
			if code != codes.Unauthenticated {
				t.Errorf("%s/%s with a wrong token: %v, want Unauthenticated", svc.desc.ServiceName, method, code)
			}
		}
		authed, err := client.Dial(svc.proc.Addr, client.Config{Token: authToken})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = authed.Close() })
		for method, code := range callEveryMethod(t, authed, svc.desc) {
			if code == codes.Unauthenticated {
				t.Errorf("%s/%s with the token: Unauthenticated", svc.desc.ServiceName, method)
			}
		}
	}

	// A job through every service with the token; a bad source gives an error to scan too.
	conn, err := client.Dial(orchProc.Addr, client.Config{Token: authToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	orch := orchestratorv1.NewOrchestratorServiceClient(conn)
	out := filepath.Join(outRoot, "secure")
	done := doneOf(watchAll(t, orch, submitJob(t, orch, repo, out, 2)))
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job: %v %s\n%s", done.GetState(), done.GetError(), orchProc.Logs())
	}
	_, badErr := orch.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{Sources: localSource("/etc")})
	if llm.Counts().Requests == 0 {
		t.Fatal("fakellm got no request: the LLM path was not exercised")
	}

	texts := map[string][]byte{"fakellm log": llmLog.Bytes(), "error of a refused job": []byte(status.Convert(badErr).String())}
	received, _ := json.Marshal(llm.Received())
	texts["fakellm received prompts"] = received
	for _, p := range procs {
		if err := p.Stop(15 * time.Second); err != nil {
			t.Errorf("stop %s: %v", p.Name, err)
		}
		texts[p.Name+" logs"] = []byte(p.Logs())
		texts[p.Name+" traces"] = []byte(p.Stdout())
		if !strings.Contains(p.Stdout(), "TraceID") {
			t.Errorf("%s wrote no console trace: the trace scan would be empty", p.Name)
		}
	}
	// Every file of the dataset, data/ shards included: the planted secret is redacted in every field
	// written, the code too.
	outputs := map[string][]byte{}
	err = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		outputs["output "+rel] = readFile(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(outputs) < 6 {
		t.Fatalf("the dataset has %d files: %v", len(outputs), outputs)
	}
	for _, hit := range append(scanFor(texts, authToken, llmAPIKey, plantedSecret), scanFor(outputs, authToken, llmAPIKey, plantedSecret)...) {
		t.Error(hit)
	}
}

// writeCerts makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, and returns the PEM file paths.
func writeCerts(t *testing.T) (ca, serverCert, serverKey, clientCert, clientKey string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "q4c test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", keyDER)
	}
	ca = write("ca.pem", "CERTIFICATE", caDER)
	serverCert, serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	clientCert, clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return
}

// TestSecurityMutualTLSEndToEnd runs all four services with mTLS, the
// orchestrator dialing the others with its client certificate, and checks
// that a job succeeds while clients without a certificate or without TLS are
// turned away.
func TestSecurityMutualTLSEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	ca, cert, key, clientCert, clientKey := writeCerts(t)
	tlsFlags := []string{"--tls-cert", cert, "--tls-key", key, "--tls-client-ca", ca}
	parser := processtest.Start(t, "parser", append(tlsFlags, "--allowed-roots", example)...)
	docs := processtest.Start(t, "docs", append(tlsFlags, "--no-installed")...)
	annotator := processtest.Start(t, "annotator", tlsFlags...)
	outRoot := t.TempDir()
	orchProc := startOrchestrator(t, parser.Addr, docs.Addr, annotator.Addr, outRoot, append(tlsFlags,
		"--upstream-ca", ca, "--upstream-cert", clientCert, "--upstream-key", clientKey)...)

	conn, err := client.Dial(orchProc.Addr, client.Config{CAFile: ca, CertFile: clientCert, KeyFile: clientKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	orch := orchestratorv1.NewOrchestratorServiceClient(conn)
	out := filepath.Join(outRoot, "mtls")
	done := doneOf(watchAll(t, orch, submitJob(t, orch, example, out, 4)))
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job over mTLS: %v %s\n%s", done.GetState(), done.GetError(), orchProc.Logs())
	}
	if len(readRecords(t, filepath.Join(out, "pairs.jsonl"))) == 0 {
		t.Error("mTLS job kept no pair")
	}

	refused := []struct {
		name string
		cfg  client.Config
	}{
		{"TLS without a client certificate", client.Config{CAFile: ca}},
		{"plaintext", client.Config{}},
	}
	for _, p := range []*processtest.Process{parser, docs, annotator, orchProc} {
		for _, r := range refused {
			c, err := client.Dial(p.Addr, r.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err = healthpb.NewHealthClient(c).Check(ctx, &healthpb.HealthCheckRequest{})
			cancel()
			_ = c.Close()
			if status.Code(err) != codes.Unavailable {
				t.Errorf("%s, %s: health = %v, want Unavailable (handshake refused)", p.Name, r.name, err)
			}
		}
	}
}

// TestSecurityReflectionOff checks that --reflection=false makes the
// reflection service Unimplemented while the default serves it.
func TestSecurityReflectionOff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	for _, tt := range []struct {
		flag string
		want codes.Code
	}{{"--reflection=false", codes.Unimplemented}, {"--reflection=true", codes.OK}} {
		p := processtest.Start(t, "annotator", tt.flag)
		conn, err := client.Dial(p.Addr, client.Config{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err == nil {
			err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		}
		// A server that ends the stream at once makes Send fail with io.EOF; Recv has the status.
		if err == nil || errors.Is(err, io.EOF) {
			_, err = stream.Recv()
		}
		cancel()
		_ = conn.Close()
		if status.Code(err) != tt.want {
			t.Errorf("annotator %s: reflection = %v, want %v", tt.flag, err, tt.want)
		}
		p.Kill()
	}
}

// TestSecurityRateLimitAndMessageSize checks that a client over --rate-limit
// and a message over --max-recv-msg-bytes both get ResourceExhausted.
func TestSecurityRateLimitAndMessageSize(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	p := processtest.Start(t, "annotator", "--rate-limit", "1", "--rate-burst", "3", "--max-recv-msg-bytes", "8192")
	conn, err := client.Dial(p.Addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ann := annotatorv1.NewAnnotatorServiceClient(conn)
	small := &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def add(a, b):\n    return a + b\n"}}

	big := &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: "a.py",
		Code: "def f():\n    return '" + strings.Repeat("x", 16<<10) + "'\n"}}
	if _, err := ann.Annotate(context.Background(), big); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("16 KiB message against an 8 KiB limit: %v, want ResourceExhausted", err)
	}

	// 1 call/s with a burst of 3: well within 50 back-to-back calls the limit bites.
	var ok, limited int
	for i := 0; i < 50 && limited == 0; i++ {
		_, err := ann.Annotate(context.Background(), small)
		switch status.Code(err) {
		case codes.OK:
			ok++
		case codes.ResourceExhausted:
			limited++
		default:
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if limited == 0 || ok == 0 {
		t.Errorf("%d calls passed, %d were rate limited; want both", ok, limited)
	}
}
