// Package grpcerr holds the small pieces every service's toStatus(err)
// repeats: context errors passed through as their gRPC codes, statuses with
// google.rpc BadRequest and ErrorInfo details, and the generic Internal
// error that hides unexpected failures from clients.
package grpcerr

import (
	"context"
	"errors"

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
