package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func mustTraceID(t *testing.T, s string) trace.TraceID {
	t.Helper()
	id, err := trace.TraceIDFromHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSpanID(t *testing.T, s string) trace.SpanID {
	t.Helper()
	id, err := trace.SpanIDFromHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTraceHandlerAddsIDs(t *testing.T) {
	const traceHex = "4bf92f3577b34da6a3ce929d0e0e4736"
	const spanHex = "00f067aa0ba902b7"
	withSpan := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    mustTraceID(t, traceHex),
		SpanID:     mustSpanID(t, spanHex),
		TraceFlags: trace.FlagsSampled,
	}))

	tests := []struct {
		name      string
		ctx       context.Context
		wantTrace string
		wantSpan  string
	}{
		{name: "span in context", ctx: withSpan, wantTrace: traceHex, wantSpan: spanHex},
		{name: "no span", ctx: context.Background()},
		{name: "invalid span context", ctx: trace.ContextWithSpanContext(context.Background(), trace.SpanContext{})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := New(&buf, slog.LevelInfo, "parser")
			logger.InfoContext(tc.ctx, "hello", "k", "v")

			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log line is not JSON: %v: %q", err, buf.String())
			}
			if rec[ServiceKey] != "parser" || rec["msg"] != "hello" || rec["k"] != "v" {
				t.Errorf("record = %v, want service, msg and k", rec)
			}
			gotTrace, _ := rec[TraceIDKey].(string)
			gotSpan, _ := rec[SpanIDKey].(string)
			if gotTrace != tc.wantTrace || gotSpan != tc.wantSpan {
				t.Errorf("trace_id, span_id = %q, %q; want %q, %q", gotTrace, gotSpan, tc.wantTrace, tc.wantSpan)
			}
		})
	}
}

func TestNewFiltersByLevel(t *testing.T) {
	var buf bytes.Buffer
	logger := New(&buf, slog.LevelWarn, "")
	logger.Info("dropped")
	logger.Warn("kept")
	out := buf.String()
	if strings.Contains(out, "dropped") || !strings.Contains(out, "kept") {
		t.Errorf("output = %q, want only the warning", out)
	}
	if strings.Contains(out, `"service"`) {
		t.Errorf("output = %q, want no service attribute for an empty service", out)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{in: "debug", want: slog.LevelDebug},
		{in: "INFO", want: slog.LevelInfo},
		{in: "warn", want: slog.LevelWarn},
		{in: "error", want: slog.LevelError},
		{in: "info+2", want: slog.LevelInfo + 2},
		{in: "loud", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseLevel(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseLevel(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && got != tc.want {
			t.Errorf("ParseLevel(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
