// Package grpcerr holds the small pieces every service's toStatus(err)
// repeats: context errors passed through as their gRPC codes, statuses with
// google.rpc BadRequest and ErrorInfo details, and the generic Internal
// error that hides unexpected failures from clients; and Table, the map from
// a service's domain errors to status codes and ErrorInfo reasons.
package grpcerr

import (
	"context"
	"errors"
	"reflect"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// FromContext maps context.Canceled to Canceled and
// context.DeadlineExceeded to DeadlineExceeded (also when wrapped). ok is
// false for any other error.
func FromContext(err error) (_ error, ok bool) {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, context.Canceled.Error()), true
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, context.DeadlineExceeded.Error()), true
	default:
		return nil, false
	}
}

// New returns a status error with details attached. Should a detail fail to
// marshal, the status is returned without details rather than lost.
func New(code codes.Code, msg string, details ...protoadapt.MessageV1) error {
	st := status.New(code, msg)
	if len(details) == 0 {
		return st.Err()
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}

// InvalidArgument returns an InvalidArgument status with a BadRequest detail
// listing the violations.
func InvalidArgument(msg string, violations ...*errdetails.BadRequest_FieldViolation) error {
	return New(codes.InvalidArgument, msg, &errdetails.BadRequest{FieldViolations: violations})
}

// FieldViolation describes one bad request field; field is a dotted path
// such as "source.git_url".
func FieldViolation(field, description string) *errdetails.BadRequest_FieldViolation {
	return &errdetails.BadRequest_FieldViolation{Field: field, Description: description}
}

// ErrorInfo is a machine-readable reason (UPPER_SNAKE_CASE, e.g.
// "JOB_NOT_FOUND") in a service's domain ("<service>.query4code"), with
// optional metadata.
func ErrorInfo(domain, reason string, metadata map[string]string) *errdetails.ErrorInfo {
	return &errdetails.ErrorInfo{Reason: reason, Domain: domain, Metadata: metadata}
}

// Internal is the error returned for failures the client cannot act on; the
// cause belongs in the server log, not in the response.
func Internal() error {
	return status.Error(codes.Internal, "internal error")
}

// Row is what a service answers for one domain error: a status code and an
// ErrorInfo reason, and for an error about one request field, that field
// (a BadRequest violation names it).
type Row struct {
	Code   codes.Code
	Reason string
	Field  string
}

// Table is a service's error table, the etcd way: a map from the domain's
// sentinel errors to the status each becomes, read by a table test.
type Table map[error]Row

// Lookup returns the row of the first error in err's tree (in the order
// errors.Is walks it) that is a key of t.
func (t Table) Lookup(err error) (Row, bool) {
	if err == nil {
		return Row{}, false
	}
	// Only comparable errors can be map keys; a lookup with another panics.
	if reflect.TypeOf(err).Comparable() {
		if row, ok := t[err]; ok {
			return row, true
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return t.Lookup(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if row, ok := t.Lookup(e); ok {
				return row, true
			}
		}
	}
	return Row{}, false
}

// Status returns err as the status of its row, with err's message, an
// ErrorInfo detail in domain and, for a row with a Field, a BadRequest
// violation of that field; ok is false when no row matches.
func (t Table) Status(domain string, err error) (_ error, ok bool) {
	row, ok := t.Lookup(err)
	if !ok {
		return nil, false
	}
	details := []protoadapt.MessageV1{ErrorInfo(domain, row.Reason, nil)}
	if row.Field != "" {
		details = append(details, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{FieldViolation(row.Field, err.Error())}})
	}
	return New(row.Code, err.Error(), details...), true
}

// Reason returns the reason of err's ErrorInfo detail in domain, or "" when
// it has none: what a client branches on.
func Reason(err error, domain string) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == domain {
			return info.GetReason()
		}
	}
	return ""
}
