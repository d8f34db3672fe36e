// Package processtest runs the suite's service binaries as real processes
// for end-to-end tests: it builds them once per test binary, starts them on
// ephemeral loopback ports, reads the address each one reports, and kills
// or stops them on demand.
package processtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// repoRoot is the repository root, found from this source file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
}

// Binaries builds parser, docs, annotator, orchestrator, fakellm and q4c into a
// temporary directory (once per test binary) and returns it.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "q4c-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir+"/",
			"./services/parser/cmd/parser", "./services/docs/cmd/docs", "./services/annotator/cmd/annotator",
			"./services/annotator/cmd/fakellm", "./services/orchestrator/cmd/orchestrator", "./cmd/q4c")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// Process is a running service binary.
type Process struct {
	Name string
	// Addr is the gRPC address the process reported in its "serving" log line.
	Addr string

	cmd    *exec.Cmd
	mu     sync.Mutex
	logs   bytes.Buffer
	stdout LockedBuffer
	done   chan struct{}
	err    error
}

// Start runs bin (a name in Binaries' directory) with args plus
// --addr 127.0.0.1:0, and waits until it logs that it is serving. The process
// is killed at test cleanup if still running.
func Start(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	return StartEnv(t, nil, bin, args...)
}

// StartEnv is Start with extra environment variables ("KEY=value") on top
// of the test's own; the process's stdout is kept too (see Stdout).
func StartEnv(t testing.TB, env []string, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: bin, done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(Binaries(t), bin), append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout = &p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.logs.Write(line)
			p.logs.WriteByte('\n')
			p.mu.Unlock()
			var entry struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if !sent && json.Unmarshal(line, &entry) == nil && entry.Msg == "serving" && entry.Addr != "" {
				addrCh <- entry.Addr
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Kill() })
	select {
	case p.Addr = <-addrCh:
		return p
	case <-p.done:
		t.Fatalf("%s exited before serving: %v\n%s", bin, p.err, p.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start serving within 60s\n%s", bin, p.Logs())
	}
	return nil
}

// Logs returns what the process wrote to stderr so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Pid is the process id, for reading /proc/<pid>.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stdout returns what the process wrote to stdout so far (the console
// trace exporter writes there).
func (p *Process) Stdout() string { return p.stdout.String() }

// LockedBuffer is a bytes.Buffer safe for concurrent writers and readers: the
// copying goroutine of exec.Cmd and the test, or in-process services and a
// progress view sharing one stderr.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Process) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

// Stop sends SIGTERM and returns the exit error (nil for exit code 0) once
// the process has ended, or an error if it outlives timeout.
func (p *Process) Stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s still running %v after SIGTERM", p.Name, timeout)
	}
}

// Command returns an unstarted command running bin from Binaries' directory, for tests that drive
// a CLI (q4c) as a process: its exit code, output and signals.
func Command(t testing.TB, bin string, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(filepath.Join(Binaries(t), bin), args...)
}
