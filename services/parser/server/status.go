package server

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/query4code/query4code/services/parser/analysis"
	"github.com/query4code/query4code/services/parser/internal/admission"
	"github.com/query4code/query4code/services/parser/internal/gitsource"
)

const errorDomain = "parser.query4code"

// toStatus maps a domain error to a gRPC status: the one place the parser
// decides status codes. Unknown errors become Internal with a generic message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	var busy *admission.BusyError
	if errors.As(err, &busy) {
		st := status.New(codes.ResourceExhausted, err.Error())
		if withDetails, derr := st.WithDetails(
			&errdetails.ErrorInfo{Domain: errorDomain, Reason: "ANALYSIS_BUDGET_EXHAUSTED"},
			&errdetails.RetryInfo{RetryDelay: durationpb.New(busy.RetryAfter)},
		); derr == nil {
			st = withDetails
		}
		return st.Err()
	}
	type mapping struct {
		target error
		code   codes.Code
		reason string
	}
	for _, m := range []mapping{
		{analysis.ErrOutsideAllowedRoots, codes.PermissionDenied, "OUTSIDE_ALLOWED_ROOTS"},
		{analysis.ErrNotFound, codes.NotFound, "PATH_NOT_FOUND"},
		{analysis.ErrNotDirectory, codes.InvalidArgument, "NOT_A_DIRECTORY"},
		{analysis.ErrInvalidOption, codes.InvalidArgument, "INVALID_OPTION"},
		{gitsource.ErrURLNotAllowed, codes.InvalidArgument, "GIT_URL_NOT_ALLOWED"},
		{gitsource.ErrRevisionNotFound, codes.FailedPrecondition, "GIT_REVISION_NOT_FOUND"},
		{gitsource.ErrClone, codes.Unavailable, "GIT_CLONE_FAILED"},
	} {
		if errors.Is(err, m.target) {
			st := status.New(m.code, err.Error())
			if withInfo, derr := st.WithDetails(&errdetails.ErrorInfo{Domain: errorDomain, Reason: m.reason}); derr == nil {
				st = withInfo
			}
			return st.Err()
		}
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Internal, "internal error while parsing the repository")
}
