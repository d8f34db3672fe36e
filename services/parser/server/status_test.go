package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/platform/grpcerr"
	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/parser/analysis"
	"github.com/query4code/query4code/services/parser/internal/gitsource"
)

func TestToStatus(t *testing.T) {
	tests := []struct {
		err    error
		code   codes.Code
		reason string
	}{
		{fmt.Errorf("%w: %w", analysis.ErrOutsideAllowedRoots, errNoRoots), codes.PermissionDenied, "OUTSIDE_ALLOWED_ROOTS"},
		{fmt.Errorf("/x: %w", analysis.ErrNotFound), codes.NotFound, "PATH_NOT_FOUND"},
		{fmt.Errorf("/x: %w", analysis.ErrNotDirectory), codes.InvalidArgument, "NOT_A_DIRECTORY"},
		{fmt.Errorf("include: %w", analysis.ErrInvalidOption), codes.InvalidArgument, "INVALID_OPTION"},
		{fmt.Errorf("clone: %w", gitsource.ErrURLNotAllowed), codes.InvalidArgument, "GIT_URL_NOT_ALLOWED"},
		{fmt.Errorf("clone: %w", gitsource.ErrRevisionNotFound), codes.FailedPrecondition, "GIT_REVISION_NOT_FOUND"},
		{fmt.Errorf("clone: %w", gitsource.ErrClone), codes.Unavailable, "GIT_CLONE_FAILED"},
		{fmt.Errorf("walk: %w", context.Canceled), codes.Canceled, ""},
		{context.DeadlineExceeded, codes.DeadlineExceeded, ""},
	}
	if len(tests)-2 != len(errorTable) {
		t.Fatalf("%d table rows tested, the table has %d", len(tests)-2, len(errorTable))
	}
	for _, tc := range tests {
		var logs bytes.Buffer
		got := toStatus(t.Context(), slog.New(slog.NewJSONHandler(&logs, nil)), tc.err)
		st, reason := status.Convert(got), grpcerr.Reason(got, errorDomain)
		if st.Code() != tc.code || reason != tc.reason {
			t.Errorf("toStatus(%v) = %v %q, want %v %q", tc.err, st.Code(), reason, tc.code, tc.reason)
		}
		if logs.Len() != 0 {
			t.Errorf("toStatus(%v) logged %s; only Internal errors are logged", tc.err, logs.String())
		}
	}
}

// TestInternalErrorLoggedOnceWithCause: the client gets a generic message, the log gets the cause.
func TestInternalErrorLoggedOnceWithCause(t *testing.T) {
	var logs bytes.Buffer
	err := toStatus(t.Context(), slog.New(slog.NewJSONHandler(&logs, nil)), errors.New("tree-sitter arena exhausted at /srv/repo/a.py"))
	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "arena") {
		t.Errorf("answer = %v, want a generic Internal", err)
	}
	if n := strings.Count(logs.String(), "tree-sitter arena exhausted"); n != 1 {
		t.Errorf("cause logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestBytesParsedCounted(t *testing.T) {
	repo := writeRepo(t, map[string]string{"pkg/m.py": "def f(x):\n    return x + 1\n", "pkg/n.py": "def g():\n    return 2\n"})
	reg := prometheus.NewRegistry()
	conn := servertest.Start(t, platformserver.DefaultConfig("parser", "bufconn"), register(Config{AllowedRoots: []string{repo}, Metrics: reg}))
	for range 2 {
		if _, _, err := parse(t, conn, &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}}); err != nil {
			t.Fatal(err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	const want = 2 * (len("def f(x):\n    return x + 1\n") + len("def g():\n    return 2\n"))
	for _, f := range families {
		if f.GetName() == "q4c_parser_bytes_parsed_total" {
			if got := f.GetMetric()[0].GetCounter().GetValue(); got != float64(want) {
				t.Errorf("bytes parsed = %v after two parses, want %d", got, want)
			}
			return
		}
	}
	t.Error("q4c_parser_bytes_parsed_total not registered")
}
