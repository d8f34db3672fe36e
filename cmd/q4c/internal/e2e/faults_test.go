package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

// faultSuiteRetries is the annotator's --llm-max-retries in the fault suite.
const faultSuiteRetries = 2

// answerFaults garble a 200 answer; the rest fail the HTTP exchange.
var answerFaults = map[fakellm.Fault]bool{
	fakellm.FaultProse: true, fakellm.FaultFenced: true, fakellm.FaultWordScore: true, fakellm.FaultGarbage: true,
}

var definedName = regexp.MustCompile(`def (\w+)\(`)

// requestsPerCall counts the requests fakellm received for each (function, stage): the function is the
// one defined in the prompt's code block.
func requestsPerCall(t *testing.T, llm *fakellm.Server) map[[2]string]int {
	t.Helper()
	out := map[[2]string]int{}
	for _, e := range llm.Received() {
		user := ""
		for _, m := range e.Messages {
			if m.Role == "user" {
				user = m.Content
				break
			}
		}
		i := strings.Index(user, "<<<BEGIN CODE")
		m := definedName.FindStringSubmatch(user[max(i, 0):])
		if i < 0 || m == nil {
			t.Fatalf("request %d (%s) holds no function code", e.Seq, e.Stage)
		}
		out[[2]string{m[1], e.Stage}]++
	}
	return out
}

// runReported is the LLM requests a finished job reports: manifest.json's llm_requests when it wrote a
// dataset (then also equal to the done event's progress), else the done event's progress.
func runReported(t *testing.T, out string, done *orchestratorv1.JobDone) int64 {
	t.Helper()
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		if _, err := os.Stat(filepath.Join(out, "manifest.json")); err == nil {
			t.Errorf("job %v wrote a manifest", done.GetState())
		}
		return done.GetProgress().GetLlmCalls()
	}
	var m struct {
		LLMRequests *int64 `json:"llm_requests"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "manifest.json")), &m); err != nil || m.LLMRequests == nil {
		t.Fatalf("manifest.json has no llm_requests: %v", err)
	}
	if *m.LLMRequests != done.GetProgress().GetLlmCalls() {
		t.Errorf("manifest says %d LLM requests, the done event %d", *m.LLMRequests, done.GetProgress().GetLlmCalls())
	}
	card := string(readFile(t, filepath.Join(out, "README.md")))
	if want := fmt.Sprintf("| LLM requests sent | %d |", *m.LLMRequests); !strings.Contains(card, want) {
		t.Errorf("dataset card lacks %q", want)
	}
	return *m.LLMRequests
}

// TestFaultSuiteRequestsWithinContract runs a job against fakellm once per fault kind, half of the
// requests faulted: the requests the server saw per stage call stay within the retry contract (at most
// 1 + retries for a transient fault, at most 2, an answer and one repair, for an unusable answer; the
// pipeline and the gRPC channel resend nothing), and their total is what the run reports.
func TestFaultSuiteRequestsWithinContract(t *testing.T) {
	repo, ids := syntheticRepo(t, t.TempDir(), 6)
	parser := processtest.Start(t, "parser", "--allowed-roots", repo)
	docs := processtest.Start(t, "docs", "--no-installed")
	kinds := append(append([]fakellm.Fault{}, fakellm.TransportFaults...),
		fakellm.FaultProse, fakellm.FaultFenced, fakellm.FaultWordScore, fakellm.FaultGarbage)
	for i, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			llm := startFakeLLM(t, fakellm.Config{FaultRate: 0.5, FaultKinds: []fakellm.Fault{kind}, Seed: uint64(11 + i),
				RetryAfter: 20 * time.Millisecond})
			annotator := processtest.Start(t, "annotator", append(annotatorFlags(llm, faultSuiteRetries), "--metrics-addr", "127.0.0.1:0")...)
			outRoot := t.TempDir()
			orchProc := startOrchestrator(t, parser.Addr, docs.Addr, annotator.Addr, outRoot, "--llm-pause", "20ms")
			orch := dialOrchestrator(t, orchProc.Addr)
			out := filepath.Join(outRoot, "faults")
			events := watchAll(t, orch, submitJob(t, orch, repo, out, 4))
			done := doneOf(events)
			switch {
			case done.GetState() == orchestratorv1.JobState_JOB_STATE_SUCCEEDED:
				checkAccounted(t, out, ids, events)
			case strings.Contains(done.GetError(), "LLM unavailable"), strings.Contains(done.GetError(), "every function failed"):
				// An outage left functions for a later run, or every function got unusable answers.
			default:
				t.Fatalf("job %v: %s\n%s", done.GetState(), done.GetError(), orchProc.Logs())
			}
			counts := llm.Counts()
			if counts.ByFault[kind] == 0 {
				t.Fatalf("fakellm injected no %q fault in %d requests", kind, counts.Requests)
			}
			limit := 1 + faultSuiteRetries
			if answerFaults[kind] {
				limit = 2
			}
			for call, n := range requestsPerCall(t, llm) {
				if n > limit {
					t.Errorf("%s %s: the server saw %d requests, the contract allows %d", call[0], call[1], n, limit)
				}
			}
			reported := runReported(t, out, done)
			if reported != int64(counts.Requests) {
				t.Errorf("the run reports %d LLM requests, the server saw %d", reported, counts.Requests)
			}
			// The annotator's counters agree with both.
			byOutcome := llmRequestsByOutcome(t, annotator)
			total := 0.0
			for _, n := range byOutcome {
				total += n
			}
			if total != float64(reported) {
				t.Errorf("q4c_llm_requests_total sums to %v (%v), the run reports %d", total, byOutcome, reported)
			}
			if kind == fakellm.FaultRateLimit && byOutcome["rate_limited"] != float64(counts.ByFault[kind]) {
				t.Errorf("q4c_llm_requests_total{outcome=\"rate_limited\"} = %v, fakellm sent %d 429s", byOutcome["rate_limited"], counts.ByFault[kind])
			}
			t.Logf("%s: %v, %d requests, faults %v, %s", kind, done.GetState(), counts.Requests, counts.ByFault, done.GetError())
		})
	}
}

// TestGarbageAnswersCountedOnce is the report that started the retry contract: an LLM that answers only
// garbage, on a 3-function repository, received 102 requests while the run reported 6. Now each function
// gets at most 4 (the summary, which reads any text, and a query with its one repair), and the run
// reports exactly what the server saw.
func TestGarbageAnswersCountedOnce(t *testing.T) {
	repo, ids := syntheticRepo(t, t.TempDir(), 3)
	llm := startFakeLLM(t, fakellm.Config{FaultRate: 1, FaultKinds: []fakellm.Fault{fakellm.FaultGarbage}})
	_, orch, outRoot := startLLMSuite(t, repo, llm, 4)
	out := filepath.Join(outRoot, "garbage")
	done := doneOf(watchAll(t, orch, submitJob(t, orch, repo, out, 4)))
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED || done.GetProgress().GetFunctionsFailed() != int64(len(ids)) {
		t.Fatalf("job %v with %d failed functions: %s; want FAILED, every function failed", done.GetState(), done.GetProgress().GetFunctionsFailed(), done.GetError())
	}
	perFunction := map[string]int{}
	for call, n := range requestsPerCall(t, llm) {
		perFunction[call[0]] += n
	}
	for _, id := range ids {
		name := id[strings.LastIndex(id, ".")+1:]
		if n := perFunction[name]; n > 4 || n == 0 {
			t.Errorf("%s: the server saw %d requests, want 1 to 4", id, n)
		}
	}
	if got, saw := runReported(t, out, done), llm.Counts().Requests; got != int64(saw) {
		t.Errorf("the run reports %d LLM requests, the server saw %d", got, saw)
	}
	t.Logf("requests per function %v, total %d, reported %d", perFunction, llm.Counts().Requests, done.GetProgress().GetLlmCalls())
}

// llmRequestsByOutcome scrapes the process's /metrics (its --metrics-addr, from the "serving" log line)
// for q4c_llm_requests_total, summed by outcome.
func llmRequestsByOutcome(t *testing.T, p *processtest.Process) map[string]float64 {
	t.Helper()
	addr := ""
	for _, line := range strings.Split(p.Logs(), "\n") {
		var entry struct {
			Msg         string `json:"msg"`
			MetricsAddr string `json:"metrics_addr"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "serving" && entry.MetricsAddr != "" {
			addr = entry.MetricsAddr
		}
	}
	if addr == "" {
		t.Fatalf("%s logged no metrics address", p.Name)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	outcome := regexp.MustCompile(`^q4c_llm_requests_total\{.*outcome="(\w+)".*\} (\S+)$`)
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if m := outcome.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			out[m[1]] += v
		}
	}
	return out
}
