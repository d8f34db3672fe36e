package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/query4code/query4code/platform/grpcerr"
	"github.com/query4code/query4code/services/annotator/internal/annotate"
	"github.com/query4code/query4code/services/annotator/internal/llm"
)

// errorDomain names this service in ErrorInfo details.
const errorDomain = "annotator.query4code"

// llmFailure is how one kind of LLM failure is reported.
type llmFailure struct {
	code   codes.Code
	reason string
	// retryInfo: the failure is an outage that waiting may cure, so the
	// status carries a RetryInfo delay. The caller pauses (the orchestrator's
	// circuit breaker); it does not resend at once, because the annotator
	// already retried with back-off.
	retryInfo bool
}

// llmFailures is the retry contract's table (docs/api.md, "Retry
// contract"): the annotator is the only layer that retries an LLM request,
// so no kind maps to Unavailable, which gRPC channels retry transparently.
// Unavailable from this service means the request never reached an LLM.
var llmFailures = map[error]llmFailure{
	llm.ErrBadOutput:   {code: codes.FailedPrecondition, reason: "LLM_BAD_OUTPUT"},
	llm.ErrRejected:    {code: codes.FailedPrecondition, reason: "LLM_REJECTED"},
	llm.ErrUnavailable: {code: codes.Aborted, reason: "LLM_UNAVAILABLE", retryInfo: true},
	llm.ErrRateLimited: {code: codes.ResourceExhausted, reason: "LLM_RATE_LIMITED", retryInfo: true},
	llm.ErrTimeout:     {code: codes.DeadlineExceeded, reason: "LLM_TIMEOUT", retryInfo: true},
}

// defaultRetryDelay is the RetryInfo delay of an outage when the LLM client
// has no better figure (no Retry-After, no back-off step).
const defaultRetryDelay = time.Second

// toStatus maps domain errors to gRPC statuses: input caps to
// InvalidArgument with the field; LLM failures after the annotator's own
// retries by llmFailures, with an ErrorInfo, the Usage the failed work spent
// and, for outages, a RetryInfo; context errors as they are; anything else
// to a generic Internal, logged here with its cause.
func (s *Server) toStatus(ctx context.Context, method string, err error) error {
	var inputErr *annotate.InputError
	if errors.As(err, &inputErr) {
		return grpcerr.InvalidArgument(inputErr.Error(), grpcerr.FieldViolation(inputErr.Field, inputErr.Reason))
	}
	var callErr *llm.CallError
	if errors.As(err, &callErr) {
		if f, ok := llmFailures[callErr.Kind]; ok {
			s.logger.WarnContext(ctx, "LLM call failed", "method", method, "reason", f.reason, "error", err)
			return llmStatus(f, callErr, s.svc.Model())
		}
	}
	if st, ok := grpcerr.FromContext(err); ok {
		return st
	}
	s.logger.ErrorContext(ctx, "annotator request failed", "method", method, "error", err)
	return grpcerr.Internal()
}

// llmStatus builds the status of a failed LLM call: ErrorInfo with the
// reason, the Usage spent (every request sent, so callers count and budget
// failures too) and, for outages, RetryInfo.
func llmStatus(f llmFailure, callErr *llm.CallError, model string) error {
	meta := map[string]string{
		"stage":    string(callErr.Stage),
		"attempts": strconv.Itoa(callErr.Attempts),
		"model":    model,
	}
	if callErr.StatusCode != 0 {
		meta["http_status"] = strconv.Itoa(callErr.StatusCode)
	}
	details := []protoadapt.MessageV1{grpcerr.ErrorInfo(errorDomain, f.reason, meta), usageProto(callErr.Usage)}
	if f.retryInfo {
		delay := callErr.RetryAfter
		if delay <= 0 {
			delay = defaultRetryDelay
		}
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	}
	msg := fmt.Sprintf("%s stage: %v after %d attempt(s)", callErr.Stage, callErr.Kind, callErr.Attempts)
	return grpcerr.New(f.code, msg, details...)
}
