package llm

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// attemptInfo is filled by retryAfterCapture for one HTTP attempt: go-openai
// returns errors without the response headers, and Retry-After lives there.
type attemptInfo struct {
	status     int
	retryAfter time.Duration
}

type attemptInfoKey struct{}

// retryAfterCapture records the status and Retry-After of each response in
// the attemptInfo carried by the request's context.
type retryAfterCapture struct {
	base  http.RoundTripper
	clock Clock
}

func (t *retryAfterCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if info, ok := req.Context().Value(attemptInfoKey{}).(*attemptInfo); ok {
		info.status = resp.StatusCode
		info.retryAfter = parseRetryAfter(resp.Header, t.clock.Now())
	}
	return resp, nil
}

// parseRetryAfter reads retry-after-ms (OpenAI, Azure) or Retry-After in
// seconds or as an HTTP date. It returns 0 when there is none.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("retry-after-ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
