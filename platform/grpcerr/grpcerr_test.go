package grpcerr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestFromContext(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantOK   bool
		wantCode codes.Code
	}{
		{name: "canceled", err: context.Canceled, wantOK: true, wantCode: codes.Canceled},
		{name: "wrapped deadline", err: fmt.Errorf("parse repo: %w", context.DeadlineExceeded), wantOK: true, wantCode: codes.DeadlineExceeded},
		{name: "other", err: errors.New("boom")},
		{name: "nil", err: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FromContext(tc.err)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if ok && status.Code(got) != tc.wantCode {
				t.Errorf("code = %v, want %v", status.Code(got), tc.wantCode)
			}
		})
	}
}

func TestInvalidArgumentCarriesFieldViolations(t *testing.T) {
	err := InvalidArgument("bad source", FieldViolation("source.git_url", "must be an https URL"))
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || st.Message() != "bad source" {
		t.Fatalf("status = %v %q", st.Code(), st.Message())
	}
	details := st.Details()
	if len(details) != 1 {
		t.Fatalf("details = %v, want one BadRequest", details)
	}
	br, ok := details[0].(*errdetails.BadRequest)
	if !ok || len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "source.git_url" {
		t.Errorf("detail = %v, want a BadRequest for source.git_url", details[0])
	}
}

func TestNewWithErrorInfo(t *testing.T) {
	tests := []struct {
		name        string
		details     bool
		wantDetails int
	}{
		{name: "with info", details: true, wantDetails: 1},
		{name: "bare", details: false, wantDetails: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.details {
				err = New(codes.NotFound, "job j1 not found", ErrorInfo("orchestrator.query4code", "JOB_NOT_FOUND", map[string]string{"job_id": "j1"}))
			} else {
				err = New(codes.NotFound, "job j1 not found")
			}
			st := status.Convert(err)
			if st.Code() != codes.NotFound || len(st.Details()) != tc.wantDetails {
				t.Fatalf("status = %v with %d details, want NotFound with %d", st.Code(), len(st.Details()), tc.wantDetails)
			}
			if tc.details {
				info, ok := st.Details()[0].(*errdetails.ErrorInfo)
				if !ok || info.GetReason() != "JOB_NOT_FOUND" || info.GetDomain() != "orchestrator.query4code" || info.GetMetadata()["job_id"] != "j1" {
					t.Errorf("detail = %v", st.Details()[0])
				}
			}
		})
	}
}

func TestInternalHidesCause(t *testing.T) {
	st := status.Convert(Internal())
	if st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Errorf("Internal() = %v %q", st.Code(), st.Message())
	}
}

// uncomparable is an error type that cannot be a map key.
type uncomparable struct{ causes []error }

func (u uncomparable) Error() string   { return "several" }
func (u uncomparable) Unwrap() []error { return u.causes }

func TestTableLookup(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	table := Table{errA: {Code: codes.NotFound, Reason: "A_MISSING"}, errB: {Code: codes.PermissionDenied, Reason: "B_DENIED", Field: "source"}}
	tests := []struct {
		name    string
		err     error
		want    Row
		wantHit bool
	}{
		{name: "sentinel", err: errA, want: Row{Code: codes.NotFound, Reason: "A_MISSING"}, wantHit: true},
		{name: "wrapped", err: fmt.Errorf("job x: %w", errB), want: Row{Code: codes.PermissionDenied, Reason: "B_DENIED", Field: "source"}, wantHit: true},
		{name: "outermost wins", err: fmt.Errorf("%w: %w", errB, errA), want: Row{Code: codes.PermissionDenied, Reason: "B_DENIED", Field: "source"}, wantHit: true},
		{name: "uncomparable wrapper", err: uncomparable{[]error{errors.New("c"), errA}}, want: Row{Code: codes.NotFound, Reason: "A_MISSING"}, wantHit: true},
		{name: "unknown", err: errors.New("a")},
		{name: "nil", err: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := table.Lookup(tc.err)
			if ok != tc.wantHit || got != tc.want {
				t.Errorf("Lookup(%v) = %v, %v; want %v, %v", tc.err, got, ok, tc.want, tc.wantHit)
			}
		})
	}
	st, ok := table.Status("test.query4code", fmt.Errorf("job x: %w", errA))
	if !ok || status.Code(st) != codes.NotFound || status.Convert(st).Message() != "job x: a" {
		t.Fatalf("Status = %v, %v", st, ok)
	}
	var info *errdetails.ErrorInfo
	for _, d := range status.Convert(st).Details() {
		if i, isInfo := d.(*errdetails.ErrorInfo); isInfo {
			info = i
		}
	}
	if info.GetReason() != "A_MISSING" || info.GetDomain() != "test.query4code" {
		t.Errorf("ErrorInfo = %v", info)
	}
	if Reason(st, "test.query4code") != "A_MISSING" || Reason(st, "other.query4code") != "" {
		t.Errorf("Reason(%v) disagrees with the ErrorInfo", st)
	}
	withField, _ := table.Status("test.query4code", errB)
	var violations []*errdetails.BadRequest_FieldViolation
	for _, d := range status.Convert(withField).Details() {
		if br, isBR := d.(*errdetails.BadRequest); isBR {
			violations = br.GetFieldViolations()
		}
	}
	if len(violations) != 1 || violations[0].GetField() != "source" {
		t.Errorf("a row with a field: violations %v", violations)
	}
}
