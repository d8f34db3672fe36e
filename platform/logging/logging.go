// Package logging builds the services' structured loggers: log/slog JSON
// records that carry the service name and, when the context holds an
// OpenTelemetry span, its trace_id and span_id, so a log line can be joined
// with its trace.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Attribute keys added to every record.
const (
	ServiceKey = "service"
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// New returns a JSON logger writing to w that drops records below level,
// adds service (when not empty) to every record, and adds trace and span ids
// to records logged with a context that holds a valid span (the *Context
// methods of slog.Logger, e.g. InfoContext).
func New(w io.Writer, level slog.Leveler, service string) *slog.Logger {
	h := NewTraceHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	logger := slog.New(h)
	if service != "" {
		logger = logger.With(slog.String(ServiceKey, service))
	}
	return logger
}

// ParseLevel parses "debug", "info", "warn", "error" (any case), optionally
// with an offset such as "info+2".
func ParseLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("parse log level %q: %w", s, err)
	}
	return level, nil
}

// NewTraceHandler wraps next so that records logged with a context holding a
// valid span context get trace_id and span_id attributes (hex, as in W3C
// traceparent). Records without one pass through unchanged. The ids are added
// like any other record attribute, so after WithGroup they land in the group.
func NewTraceHandler(next slog.Handler) slog.Handler {
	return traceHandler{next: next}
}

type traceHandler struct {
	next slog.Handler
}

func (h traceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			// Clone: the record's attribute storage may be shared with the caller.
			r = r.Clone()
			r.AddAttrs(
				slog.String(TraceIDKey, sc.TraceID().String()),
				slog.String(SpanIDKey, sc.SpanID().String()),
			)
		}
	}
	return h.next.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{next: h.next.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{next: h.next.WithGroup(name)}
}
