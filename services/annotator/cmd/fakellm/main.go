// Command fakellm serves a fake OpenAI-compatible chat completion API for
// tests and benchmarks of the annotator (see package fakellm).
//
//	fakellm --addr 127.0.0.1:8089 --latency 50ms --jitter 20ms \
//	        --fault-rate 0.1 --faults 429,500,hang --log requests.jsonl
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/query4code/query4code/services/annotator/fakellm"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("FAKELLM_ADDR", "127.0.0.1:8089"), "listen address (env FAKELLM_ADDR)")
	latency := fs.Duration("latency", 0, "delay before each answer")
	jitter := fs.Duration("jitter", 0, "extra random delay, uniform in [0, jitter)")
	faultRate := fs.Float64("fault-rate", 0, "probability (0..1) that a request gets a random fault")
	faults := fs.String("faults", "", "comma-separated fault kinds for --fault-rate: 429, 500, hang, malformed, truncated, prose, fenced, wordscore, garbage, refusal (default: the first five)")
	retryAfter := fs.Duration("retry-after", time.Second, "wait a 429 asks for (Retry-After)")
	hangLimit := fs.Duration("hang-limit", 5*time.Minute, "longest a hang lasts when the client never gives up")
	seed := fs.Uint64("seed", 1, "seed for jitter and fault choice")
	model := fs.String("model", "fake-llm", "model name when a request names none")
	rejectFormat := fs.Bool("reject-response-format", false, "refuse response_format with a 400, like servers without JSON mode")
	apiKey := fs.String("api-key", os.Getenv("FAKELLM_API_KEY"), "require this bearer token (env FAKELLM_API_KEY)")
	logPath := fs.String("log", "", "append one JSON line per request received to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg := fakellm.Config{
		Latency:              *latency,
		Jitter:               *jitter,
		FaultRate:            *faultRate,
		Seed:                 *seed,
		RetryAfter:           *retryAfter,
		HangLimit:            *hangLimit,
		Model:                *model,
		RejectResponseFormat: *rejectFormat,
		APIKey:               *apiKey,
	}
	for _, name := range strings.Split(*faults, ",") {
		if strings.TrimSpace(name) == "" {
			continue
		}
		f, err := fakellm.ParseFault(name)
		if err != nil {
			return err
		}
		cfg.FaultKinds = append(cfg.FaultKinds, f)
	}
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open log: %w", err)
		}
		defer func() {
			if err := f.Close(); err != nil {
				_, _ = fmt.Fprintln(stderr, "fakellm: close log:", err)
			}
		}()
		cfg.Log = f
	}

	srv, err := fakellm.Start(cfg, *addr)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(stderr, "fakellm listening on %s\n", srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := srv.Close(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	c := srv.Counts()
	_, _ = fmt.Fprintf(stderr, "fakellm served %d requests: stages %v, faults %v\n", c.Requests, c.ByStage, c.ByFault)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
