package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/query4code/query4code/platform/grpcerr"
	"github.com/query4code/query4code/services/parser/analysis"
	"github.com/query4code/query4code/services/parser/internal/admission"
	"github.com/query4code/query4code/services/parser/internal/gitsource"
)

const errorDomain = "parser.query4code"

// errorTable is the parser's error table: the status code and ErrorInfo reason of each domain error.
var errorTable = grpcerr.Table{
	analysis.ErrOutsideAllowedRoots: {Code: codes.PermissionDenied, Reason: "OUTSIDE_ALLOWED_ROOTS"},
	analysis.ErrNotFound:            {Code: codes.NotFound, Reason: "PATH_NOT_FOUND"},
	analysis.ErrNotDirectory:        {Code: codes.InvalidArgument, Reason: "NOT_A_DIRECTORY"},
	analysis.ErrInvalidOption:       {Code: codes.InvalidArgument, Reason: "INVALID_OPTION"},
	gitsource.ErrURLNotAllowed:      {Code: codes.InvalidArgument, Reason: "GIT_URL_NOT_ALLOWED"},
	gitsource.ErrRevisionNotFound:   {Code: codes.FailedPrecondition, Reason: "GIT_REVISION_NOT_FOUND"},
	gitsource.ErrClone:              {Code: codes.Unavailable, Reason: "GIT_CLONE_FAILED"},
}

// toStatus maps a domain error to a gRPC status: the one place the parser decides status codes.
// Context errors keep their codes; an error the table does not know is logged with its cause, once,
// here, and answered as Internal with a generic message.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := grpcerr.FromContext(err); ok {
		return st
	}
	var busy *admission.BusyError
	if errors.As(err, &busy) {
		return grpcerr.New(codes.ResourceExhausted, err.Error(),
			grpcerr.ErrorInfo(errorDomain, "ANALYSIS_BUDGET_EXHAUSTED", nil),
			&errdetails.RetryInfo{RetryDelay: durationpb.New(busy.RetryAfter)})
	}
	if st, ok := errorTable.Status(errorDomain, err); ok {
		return st
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	log.ErrorContext(ctx, "parser: internal error", "error", err)
	return status.Error(codes.Internal, "internal error while parsing the repository")
}
