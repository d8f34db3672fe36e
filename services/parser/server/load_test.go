package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/parser/internal/stdlibdir"
)

// maxPeakRSS is what six concurrent analyses of the standard library may
// take at the peak with default settings.
const maxPeakRSS = 1 << 30

// Six concurrent ParseRepository calls on the CPython standard library
// (tests left out, as in docs/BENCHMARKS.md), against bin/parser as a
// process with default settings: its peak RSS (VmHWM) stays under 1 GiB,
// at least one call is served and each other is served or refused with
// ResourceExhausted.
func TestConcurrentStdlibParsesStayUnderOneGiB(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses the standard library six times")
	}
	stdlib := stdlibdir.Find(t)
	bin := filepath.Join(t.TempDir(), "parser")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/parser").CombinedOutput(); err != nil {
		t.Fatalf("build bin/parser: %v\n%s", err, out)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--addr", addr, "--allowed-roots", stdlib)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("parser output:\n%s", logs.String())
		}
	})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	waitServing(t, conn)

	const calls = 6
	results := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = parseAll(conn, stdlib)
		}()
	}
	wg.Wait()
	peak := peakRSS(t, cmd.Process.Pid)
	served := 0
	for i, err := range results {
		switch {
		case err == nil:
			served++
		case status.Code(err) == codes.ResourceExhausted:
			t.Logf("call %d refused: %v", i, err)
		default:
			t.Errorf("call %d: %v, want success or ResourceExhausted", i, err)
		}
	}
	t.Logf("%d of %d served, peak RSS %d MiB", served, calls, peak>>20)
	if served == 0 {
		t.Error("no call was served")
	}
	if peak >= maxPeakRSS {
		t.Errorf("peak RSS %d MiB, want under %d MiB", peak>>20, maxPeakRSS>>20)
	}
}

// parseAll reads a whole ParseRepository stream.
func parseAll(conn *grpc.ClientConn, root string) error {
	stream, err := parserv1.NewParserServiceClient(conn).ParseRepository(context.Background(), &parserv1.ParseRepositoryRequest{
		Source:  &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: root}},
		Options: &parserv1.ParseOptions{SkipTests: true},
	})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func waitServing(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == grpc_health_v1.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("parser not serving after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// peakRSS reads VmHWM, the peak resident set size, of process pid.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc to read the peak RSS from: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
