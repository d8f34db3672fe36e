package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
	"github.com/query4code/query4code/services/docs/internal/lookup"
	"github.com/query4code/query4code/services/docs/internal/popularity"
)

// errorDomain names this service in ErrorInfo details.
const errorDomain = "docs.query4code"

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
	case errors.Is(err, popularity.ErrBadCount):
		return invalidArgument(err.Error(), "BAD_CALL_COUNT", "call_counts", err.Error())
	case errors.Is(err, errEmptyRepository):
		return invalidArgument(err.Error(), "MISSING_REPOSITORY", "repository", err.Error())
	case errors.Is(err, errNoAPIs):
		return invalidArgument(err.Error(), "NO_APIS", "apis", err.Error())
	case errors.Is(err, errNegativeBudget):
		return invalidArgument(err.Error(), "NEGATIVE_BUDGET", "max_doc_chars", err.Error())
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
