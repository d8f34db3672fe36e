package cli

import (
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace collector: it decodes the real OTLP protobuf export requests and
// keeps their spans with the service.name of their resource.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []receivedSpan
}

type receivedSpan struct {
	service, name, traceID string
	links                  []string // trace ids the span links to
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	body := req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(data, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range export.GetResourceSpans() {
		service := ""
		for _, attr := range rs.GetResource().GetAttributes() {
			if attr.GetKey() == "service.name" {
				service = attr.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, span := range ss.GetSpans() {
				r.spans = append(r.spans, receivedSpan{service: service, name: span.GetName(), traceID: hex.EncodeToString(span.GetTraceId()), links: linkedTraces(span)})
			}
		}
	}
	r.mu.Unlock()
	out, err := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func linkedTraces(span *tracepb.Span) []string {
	var ids []string
	for _, l := range span.GetLinks() {
		ids = append(ids, hex.EncodeToString(l.GetTraceId()))
	}
	return ids
}

func (r *otlpReceiver) received() []receivedSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedSpan(nil), r.spans...)
}

// TestAnnotateAllInOneExportsOneTracePerJob: q4c annotate in its all-in-one mode traces from the OTEL_*
// variables like the standalone binaries, each service under its own name, and a job is one trace that
// holds spans of all four services and links to the call that submitted it.
func TestAnnotateAllInOneExportsOneTracePerJob(t *testing.T) {
	receiver := &otlpReceiver{}
	collector := httptest.NewServer(receiver)
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")

	repo := filepath.Join(t.TempDir(), "repo")
	writeChainRepo(t, repo, "return x + 1")
	// A third-party call, so the job asks the docs service about it.
	stats := "import numpy as np\n\n\ndef spread(values):\n    \"\"\"Standard deviation of values.\"\"\"\n    return float(np.std(values))\n"
	if err := os.WriteFile(filepath.Join(repo, "stats.py"), []byte(stats), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", filepath.Join(t.TempDir(), "out"), repo)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	spans := receiver.received()
	var job *receivedSpan
	for i, s := range spans {
		if s.service == "orchestrator" && s.name == "job" {
			job = &spans[i]
		}
	}
	if job == nil {
		t.Fatalf("no job span among the %d spans received: %v", len(spans), spans)
	}
	services := map[string]bool{}
	submitTraces := map[string]bool{}
	for _, s := range spans {
		if s.traceID == job.traceID {
			services[s.service] = true
		}
		// q4c annotate submits with SubmitJob, then watches.
		if s.service == "orchestrator" && s.name == "query4code.orchestrator.v1.OrchestratorService/SubmitJob" {
			submitTraces[s.traceID] = true
		}
	}
	for _, name := range []string{"parser", "docs", "annotator", "orchestrator"} {
		if !services[name] {
			t.Errorf("no %s span in the job's trace %s (services there: %v)", name, job.traceID, services)
		}
	}
	if len(job.links) != 1 || !submitTraces[job.links[0]] {
		t.Errorf("job span links to traces %v, want the SubmitJob call's (%v)", job.links, submitTraces)
	}
}

// TestStateDirDefault: the store and caches go to the user's state directory, and without one the
// command asks for --state-dir instead of writing into the working directory.
func TestStateDirDefault(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	if got, want := defaultStateDir(), filepath.Join(state, "query4code"); got != want {
		t.Errorf("defaultStateDir() = %q, want %q", got, want)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	_, stderr, code := runQ4C(t, "annotate", "--out", filepath.Join(t.TempDir(), "out"), t.TempDir())
	if code == 0 || !strings.Contains(stderr, "--state-dir") {
		t.Errorf("exit %d without a state directory, stderr %q; want a refusal naming --state-dir", code, stderr)
	}
}
