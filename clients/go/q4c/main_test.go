package q4c_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/query4code/query4code/clients/go/internal/testservers"
)

// Addresses of the servers TestMain starts for the examples (in real code:
// "localhost:50053" or a Kubernetes service name).
var (
	annotatorAddr    string
	orchestratorAddr string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	addr, stopAnnotator, err := testservers.ListenAnnotator(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	orch := testservers.NewFakeOrchestrator()
	orch.DropAfter = 2 // the watch example resumes through broken streams
	orchAddr, stopOrchestrator, err := testservers.ListenOrchestrator(false, orch)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = stopAnnotator()
		return 1
	}
	annotatorAddr, orchestratorAddr = addr, orchAddr
	code := m.Run()
	for _, stop := range []func() error{stopAnnotator, stopOrchestrator} {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}
