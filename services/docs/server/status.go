package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/platform/grpcerr"
	"github.com/query4code/query4code/services/docs/internal/apidoc"
	"github.com/query4code/query4code/services/docs/internal/lookup"
	"github.com/query4code/query4code/services/docs/internal/popularity"
)

// errorDomain names this service in ErrorInfo details.
const errorDomain = "docs.query4code"

// errorTable is the docs service's error table: the status code, ErrorInfo
// reason and request field of each domain error. Errors that carry which API
// was malformed (lookup.InvalidAPIError, apidoc.NameError) are mapped in
// toStatus, where the field is known.
var errorTable = grpcerr.Table{
	popularity.ErrBadCount: {Code: codes.InvalidArgument, Reason: "BAD_CALL_COUNT", Field: "call_counts"},
	errEmptyRepository:     {Code: codes.InvalidArgument, Reason: "MISSING_REPOSITORY", Field: "repository"},
	errNoAPIs:              {Code: codes.InvalidArgument, Reason: "NO_APIS", Field: "apis"},
	errNegativeBudget:      {Code: codes.InvalidArgument, Reason: "NEGATIVE_BUDGET", Field: "max_doc_chars"},
	errUnknownLanguage:     {Code: codes.InvalidArgument, Reason: "UNKNOWN_LANGUAGE", Field: "language"},
	errRepositoryForPython: {Code: codes.InvalidArgument, Reason: "REPOSITORY_PATH_NOT_FOR_PYTHON", Field: "repository_path"},
	errBadRepositoryPath:   {Code: codes.InvalidArgument, Reason: "BAD_REPOSITORY_PATH", Field: "repository_path"},
	errRepositoryNotFound:  {Code: codes.InvalidArgument, Reason: "REPOSITORY_NOT_FOUND", Field: "repository_path"},
	errRepositoryNotDir:    {Code: codes.InvalidArgument, Reason: "REPOSITORY_NOT_DIRECTORY", Field: "repository_path"},
	errOutsideAllowedRoots: {Code: codes.PermissionDenied, Reason: "OUTSIDE_ALLOWED_ROOTS", Field: "repository_path"},
	errNoAllowedRoots:      {Code: codes.PermissionDenied, Reason: "OUTSIDE_ALLOWED_ROOTS", Field: "repository_path"},
}

// toStatus is the one place domain errors become gRPC statuses. Context
// errors keep their codes; unknown errors are logged and become Internal
// with a generic message.
func (s *Server) toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	var invalid *lookup.InvalidAPIError
	var name *apidoc.NameError
	switch {
	case errors.As(err, &invalid):
		reason := invalid.Err.Error()
		if errors.As(invalid.Err, &name) {
			reason = name.Reason
		}
		return invalidArgument(err.Error(), "MALFORMED_API_NAME", fmt.Sprintf("apis[%d]", invalid.Index), reason)
	case errors.As(err, &name):
		return invalidArgument(err.Error(), "MALFORMED_API_NAME", "call_counts", name.Error())
	}
	if st, ok := errorTable.Status(errorDomain, err); ok {
		return st
	}
	s.log.ErrorContext(ctx, "docs: internal error", "error", err)
	return status.Error(codes.Internal, "internal error")
}

func invalidArgument(msg, reason, field, description string) error {
	st := status.New(codes.InvalidArgument, msg)
	withDetails, err := st.WithDetails(
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: description}}},
		&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain},
	)
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}
