// Package fakellm is an OpenAI-compatible chat completion server for tests
// and benchmarks. It recognises which Query4Code stage a prompt is for and
// answers deterministically in the shape that stage asks for; it can add
// latency, inject faults (429 with Retry-After, 500, a hang, malformed
// JSON, a truncated body) and garbled answers, logs every request it
// receives as one JSON line, and counts requests per stage.
//
// Start one in a test with Start(Config{}, "127.0.0.1:0") and point an
// OpenAI client at Server.URL().
package fakellm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is something the server does instead of a clean answer.
type Fault string

// Transport-level faults.
const (
	FaultNone          Fault = ""
	FaultRateLimit     Fault = "429"       // 429 with Retry-After
	FaultServerError   Fault = "500"       // 500 with an OpenAI error body
	FaultHang          Fault = "hang"      // no answer until the client gives up
	FaultMalformedJSON Fault = "malformed" // 200 with a body that is not JSON
	FaultTruncated     Fault = "truncated" // 200, connection closed mid-body
)

// Answer faults: a 200 whose message content is not the clean JSON asked for.
const (
	FaultProse     Fault = "prose"     // the answer wrapped in chat: preambles, sign-offs, labels, fences
	FaultFenced    Fault = "fenced"    // JSON inside a ```json fence
	FaultWordScore Fault = "wordscore" // score written as a word: "two"
	FaultGarbage   Fault = "garbage"   // no JSON at all
	FaultRefusal   Fault = "refusal"   // the model declines ("I'm sorry, but I can't ...")
)

// TransportFaults are the faults picked from by FaultRate by default.
var TransportFaults = []Fault{FaultRateLimit, FaultServerError, FaultHang, FaultMalformedJSON, FaultTruncated}

// ParseFault validates a fault name.
func ParseFault(s string) (Fault, error) {
	f := Fault(strings.TrimSpace(s))
	switch f {
	case FaultRateLimit, FaultServerError, FaultHang, FaultMalformedJSON, FaultTruncated,
		FaultProse, FaultFenced, FaultWordScore, FaultGarbage, FaultRefusal:
		return f, nil
	}
	return "", fmt.Errorf("unknown fault %q", s)
}

// Config configures a Server.
type Config struct {
	// Latency before each answer, plus a uniform random share of Jitter.
	Latency time.Duration
	Jitter  time.Duration
	// FaultRate is the probability that a request gets a random fault from
	// FaultKinds (default TransportFaults).
	FaultRate  float64
	FaultKinds []Fault
	// Seed makes jitter and fault choice reproducible.
	Seed uint64
	// RetryAfter is the wait a 429 asks for; default 1s. Sent as
	// Retry-After (whole seconds, rounded up) and retry-after-ms.
	RetryAfter time.Duration
	// HangLimit bounds a hang when the client never gives up; default 5m.
	HangLimit time.Duration
	// Model answered when the request names none; default "fake-llm".
	Model string
	// RejectResponseFormat makes the server refuse response_format with a
	// 400, like servers without JSON mode.
	RejectResponseFormat bool
	// APIKey, if set, is required as a bearer token.
	APIKey string
	// Log receives one JSON line per request received.
	Log io.Writer
}

// StageUnauthorized is the ByStage key of chat requests refused for a
// wrong API key (their stage is not read).
const StageUnauthorized = "unauthorized"

// Counts is a snapshot of what the server has seen.
type Counts struct {
	// Requests counts every chat completion request received, refused ones
	// included: what a client paid for.
	Requests int
	ByStage  map[string]int
	ByFault  map[Fault]int
}

// Message is a chat message as received.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// LogEntry is one line of the request log.
type LogEntry struct {
	Seq            int       `json:"seq"`
	Time           time.Time `json:"time"`
	Stage          string    `json:"stage"`
	Model          string    `json:"model"`
	ResponseFormat string    `json:"response_format,omitempty"`
	Fault          Fault     `json:"fault,omitempty"`
	// InjectionOutsideData is true when an instruction planted in code
	// ("ignore the above ...") reached the prompt outside a data block,
	// where this fake obeys it as a naive model would.
	InjectionOutsideData bool      `json:"injection_outside_data,omitempty"`
	Messages             []Message `json:"messages"`
}

// Server is a fake OpenAI-compatible server.
type Server struct {
	cfg Config

	mu       sync.Mutex
	rng      *rand.Rand
	queue    []Fault
	counts   Counts
	received []LogEntry
	seq      int

	logMu sync.Mutex

	// stop ends hangs and latency waits when the server closes.
	stop     chan struct{}
	stopOnce sync.Once

	httpServer *http.Server
	listener   net.Listener
	serveDone  chan struct{}
}

// New returns a server; use Handler to mount it or Start to listen.
func New(cfg Config) (*Server, error) {
	if cfg.FaultRate < 0 || cfg.FaultRate > 1 {
		return nil, fmt.Errorf("fault rate %v: want 0..1", cfg.FaultRate)
	}
	if cfg.Latency < 0 || cfg.Jitter < 0 {
		return nil, errors.New("latency and jitter must not be negative")
	}
	if len(cfg.FaultKinds) == 0 {
		cfg.FaultKinds = TransportFaults
	}
	for _, f := range cfg.FaultKinds {
		if _, err := ParseFault(string(f)); err != nil {
			return nil, err
		}
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Second
	}
	if cfg.HangLimit <= 0 {
		cfg.HangLimit = 5 * time.Minute
	}
	if cfg.Model == "" {
		cfg.Model = "fake-llm"
	}
	return &Server{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		counts: Counts{ByStage: map[string]int{}, ByFault: map[Fault]int{}},
		stop:   make(chan struct{}),
	}, nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Close.
func Start(cfg Config, addr string) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s.listener = ln
	s.httpServer = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		// ErrServerClosed after Close; other errors end serving, which
		// the client sees as connection failures.
		_ = s.httpServer.Serve(ln)
	}()
	return s, nil
}

// URL is the base URL clients use, ending in /v1.
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String() + "/v1"
}

// Addr is the listening address.
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Close ends pending hangs and stops the server.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	if s.httpServer == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.httpServer.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.httpServer.Close())
	}
	<-s.serveDone
	return err
}

// Inject queues faults for the next requests, one each, before random
// faults apply.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, faults...)
}

// Counts returns what the server has seen so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counts{Requests: s.counts.Requests, ByStage: map[string]int{}, ByFault: map[Fault]int{}}
	for k, v := range s.counts.ByStage {
		c.ByStage[k] = v
	}
	for k, v := range s.counts.ByFault {
		c.ByFault[k] = v
	}
	return c
}

// Received returns the log entries of the requests received so far.
func (s *Server) Received() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEntry(nil), s.received...)
}

// Handler serves /v1/chat/completions and /v1/models.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	mux.HandleFunc("GET /v1/models", s.models)
	return mux
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.APIKey == "" || r.Header.Get("Authorization") == "Bearer "+s.cfg.APIKey {
		return true
	}
	writeError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.", "")
	return false
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   []map[string]any{{"id": s.cfg.Model, "object": "model", "created": 0, "owned_by": "fakellm"}},
	})
}

type chatRequest struct {
	Model          string    `json:"model"`
	Messages       []Message `json:"messages"`
	ResponseFormat *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		// Refused, but received: Counts covers every request a client sent.
		s.mu.Lock()
		s.counts.Requests++
		s.counts.ByStage[StageUnauthorized]++
		s.mu.Unlock()
		return
	}
	var req chatRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "request body is not valid JSON: "+err.Error(), "")
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "messages must not be empty", "messages")
		return
	}
	format := ""
	if req.ResponseFormat != nil {
		format = req.ResponseFormat.Type
	}
	stage := detectStage(req.Messages)
	rejectFormat := format != "" && format != "text" && s.cfg.RejectResponseFormat
	fault, delay, seq := s.admit(stage, req, format, rejectFormat)
	if rejectFormat {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "response_format is not supported by this server", "response_format")
		return
	}
	if err := s.wait(r.Context(), delay); err != nil {
		return
	}
	switch fault {
	case FaultRateLimit:
		secs := int((s.cfg.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("retry-after-ms", strconv.FormatInt(s.cfg.RetryAfter.Milliseconds(), 10))
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Rate limit reached for requests. Please try again later.", "")
		return
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, "server_error", "The server had an error while processing your request.", "")
		return
	case FaultHang:
		_ = s.wait(r.Context(), s.cfg.HangLimit)
		return
	}
	model := req.Model
	if model == "" {
		model = s.cfg.Model
	}
	content := garble(answer(stage, req.Messages), stage, fault, seq)
	body, err := json.Marshal(completion(model, req.Messages, content))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "encode response: "+err.Error(), "")
		return
	}
	switch fault {
	case FaultMalformedJSON:
		body = append([]byte(`{"id": "chatcmpl-fake", "choices": [{"message": `), body[:len(body)/3]...)
	case FaultTruncated:
		s.writeTruncated(w, body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// admit counts and logs the request and decides its fault and latency; it
// returns the request's sequence number too. A request about to be refused
// takes no fault from the queue.
func (s *Server) admit(stage string, req chatRequest, format string, refused bool) (Fault, time.Duration, int) {
	s.mu.Lock()
	fault := FaultNone
	if refused {
		// No fault: the request gets a 400.
	} else if len(s.queue) > 0 {
		fault = s.queue[0]
		s.queue = s.queue[1:]
	} else if s.cfg.FaultRate > 0 && s.rng.Float64() < s.cfg.FaultRate {
		fault = s.cfg.FaultKinds[s.rng.IntN(len(s.cfg.FaultKinds))]
	}
	delay := s.cfg.Latency
	if s.cfg.Jitter > 0 {
		delay += time.Duration(s.rng.Int64N(int64(s.cfg.Jitter)))
	}
	s.seq++
	entry := LogEntry{
		Seq: s.seq, Time: time.Now().UTC(), Stage: stage, Model: req.Model,
		ResponseFormat: format, Fault: fault, Messages: req.Messages,
		InjectionOutsideData: injected(req.Messages),
	}
	s.counts.Requests++
	s.counts.ByStage[stage]++
	if fault != FaultNone {
		s.counts.ByFault[fault]++
	}
	s.received = append(s.received, entry)
	seq := s.seq
	s.mu.Unlock()

	if s.cfg.Log != nil {
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		// Prompts are full of <<< >>> fences: keep them readable.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(entry); err == nil {
			s.logMu.Lock()
			_, _ = s.cfg.Log.Write(line.Bytes())
			s.logMu.Unlock()
		}
	}
	return fault, delay, seq
}

// wait sleeps d unless the request or the server ends first.
func (s *Server) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return errors.New("server closing")
	}
}

// writeTruncated announces the full body length, sends part of it and
// closes the connection, so the client reads an unexpected EOF.
func (s *Server) writeTruncated(w http.ResponseWriter, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 or a recorder: the short write with a longer
		// Content-Length still makes the client fail.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	// Closing mid-body is the point; its error says nothing new.
	defer func() { _ = conn.Close() }()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

func completion(model string, messages []Message, content string) map[string]any {
	promptTokens := 0
	for _, m := range messages {
		promptTokens += approxTokens(m.Content) + 4
	}
	completionTokens := approxTokens(content)
	return map[string]any{
		"id":      "chatcmpl-fake",
		"object":  "chat.completion",
		"created": 0,
		"model":   model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": content},
			"finish_reason": "stop",
		}},
		"usage": map[string]any{
			"prompt_tokens":     promptTokens,
			"completion_tokens": completionTokens,
			"total_tokens":      promptTokens + completionTokens,
		},
	}
}

// approxTokens counts about four bytes a token, at least one.
func approxTokens(s string) int { return max(1, (len(s)+3)/4) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message, param string) {
	e := map[string]any{"message": message, "type": code, "code": code}
	if param != "" {
		e["param"] = param
	}
	writeJSON(w, status, map[string]any{"error": e})
}
