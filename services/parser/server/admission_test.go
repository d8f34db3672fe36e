package server

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// A request beyond the budget is refused with ResourceExhausted, the
// reason and a retry delay; the metrics show what is in flight.
func TestBusyParserRefusesWithRetryDelay(t *testing.T) {
	repo := writeRepo(t, map[string]string{"m.py": "def f():\n    return 1\n"})
	reg := prometheus.NewRegistry()
	srv, err := New(Config{AllowedRoots: []string{repo}, AnalysisBudgetBytes: 10, AdmissionWait: 10 * time.Millisecond, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	conn := servertest.Start(t, platformserver.DefaultConfig("parser", "bufconn"), func(s *platformserver.Server) error {
		srv.Register(s.GRPC())
		return nil
	})
	// An analysis in flight that fills the budget.
	release, err := srv.gate.Acquire(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := gaugeValue(t, reg, "parser_analyses_in_flight"); got != 1 {
		t.Errorf("parser_analyses_in_flight = %v, want 1", got)
	}
	if got := gaugeValue(t, reg, "parser_analysis_bytes_in_flight"); got != 10 {
		t.Errorf("parser_analysis_bytes_in_flight = %v, want 10", got)
	}
	req := &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}}
	_, _, err = parse(t, conn, req)
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("err = %v, want ResourceExhausted", err)
	}
	var retry *errdetails.RetryInfo
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.RetryInfo:
			retry = d
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("details %v: want a RetryInfo with a positive delay", st.Details())
	}
	if info.GetReason() != "ANALYSIS_BUDGET_EXHAUSTED" {
		t.Errorf("ErrorInfo = %v, want reason ANALYSIS_BUDGET_EXHAUSTED", info)
	}
	if got := gaugeValue(t, reg, "parser_analyses_refused_total"); got != 1 {
		t.Errorf("parser_analyses_refused_total = %v, want 1", got)
	}
	release()
	if _, _, err := parse(t, conn, req); err != nil {
		t.Fatalf("after the budget was released: %v", err)
	}
	if got := gaugeValue(t, reg, "parser_analyses_in_flight"); got != 0 {
		t.Errorf("parser_analyses_in_flight after the stream = %v, want 0", got)
	}
}

func TestNewRejectsNegativeBudget(t *testing.T) {
	if _, err := New(Config{AnalysisBudgetBytes: -1}); err == nil {
		t.Error("a negative analysis budget was accepted")
	}
}

func gaugeValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		if m.GetGauge() != nil {
			return m.GetGauge().GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}
