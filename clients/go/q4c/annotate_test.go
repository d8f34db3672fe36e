package q4c_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/query4code/query4code/clients/go/internal/testservers"
	"github.com/query4code/query4code/clients/go/q4c"
)

func dial(t *testing.T, addr string, opts q4c.Options) *q4c.Client {
	t.Helper()
	c, err := q4c.Dial(addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func TestAnnotate(t *testing.T) {
	client := dial(t, annotatorAddr, q4c.Options{})
	fn := q4c.Function{Path: "textutil/lines.py", Code: splitMultiline, ID: "textutil.lines.split_multiline"}
	tests := []struct {
		name        string
		opts        []q4c.AnnotateOption
		wantKept    bool
		wantCallees []string
		wantAPIDocs []string
		wantDropped []string
	}{
		{name: "function alone", wantKept: true},
		{
			name:        "callees and API docs",
			opts:        []q4c.AnnotateOption{q4c.WithCallees(q4c.Callee{ID: "textutil.clean.strip_all", Summary: "Strips whitespace from every line."}), q4c.WithAPIDocs(q4c.APIDoc{API: "rarelib.text.normalize", Doc: "normalize(s) -> str\nNormalize unicode text."})},
			wantKept:    true,
			wantCallees: []string{"textutil.clean.strip_all"},
			wantAPIDocs: []string{"rarelib.text.normalize"},
		},
		{
			name: "strictest threshold",
			// The last option wins; the offline back-end scores this pair 3.
			opts:     []q4c.AnnotateOption{q4c.WithKeepThreshold(0), q4c.WithKeepThreshold(3)},
			wantKept: true,
		},
		{
			name:        "context budget too small for the callee",
			opts:        []q4c.AnnotateOption{q4c.WithCallees(q4c.Callee{ID: "textutil.clean.strip_all", Summary: strings.Repeat("Strips whitespace from every line. ", 200)}), q4c.WithMaxContextTokens(8)},
			wantKept:    true,
			wantDropped: []string{"textutil.clean.strip_all"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := client.Annotate(context.Background(), fn, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Query == "" || res.Summary == "" || res.Explanation == "" {
				t.Errorf("empty field in %+v", res)
			}
			if res.Score < 0 || res.Score > 3 {
				t.Errorf("score %d outside 0..3", res.Score)
			}
			if res.Kept != tt.wantKept {
				t.Errorf("kept = %v, want %v (score %d)", res.Kept, tt.wantKept, res.Score)
			}
			if res.Model != "offline" || res.PromptVersion != "v2" {
				t.Errorf("model %q prompt %q, want offline v2", res.Model, res.PromptVersion)
			}
			if !equalStrings(res.Context.CalleesUsed, tt.wantCallees) || !equalStrings(res.Context.APIDocsUsed, tt.wantAPIDocs) || !equalStrings(res.Context.Dropped, tt.wantDropped) {
				t.Errorf("context %+v, want callees %v docs %v dropped %v", res.Context, tt.wantCallees, tt.wantAPIDocs, tt.wantDropped)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAnnotateRejectsBadRequests(t *testing.T) {
	client := dial(t, annotatorAddr, q4c.Options{})
	code := "def f():\n    return 1\n"
	tests := []struct {
		name     string
		fn       q4c.Function
		opts     []q4c.AnnotateOption
		wantCode codes.Code // Unknown: refused by the client before any call
		wantText string
	}{
		{name: "no path", fn: q4c.Function{Code: code}, wantCode: codes.Unknown, wantText: "path is empty"},
		{name: "no code", fn: q4c.Function{Path: "a.py"}, wantCode: codes.Unknown, wantText: "code is empty"},
		{name: "threshold 4", fn: q4c.Function{Path: "a.py", Code: code}, opts: []q4c.AnnotateOption{q4c.WithKeepThreshold(4)}, wantCode: codes.Unknown, wantText: "outside 0..3"},
		{name: "negative budget", fn: q4c.Function{Path: "a.py", Code: code}, opts: []q4c.AnnotateOption{q4c.WithMaxContextTokens(-1)}, wantCode: codes.Unknown, wantText: "negative"},
		{name: "server: unsupported language", fn: q4c.Function{Path: "a.py", Code: code, Language: "cobol"}, wantCode: codes.InvalidArgument, wantText: "function.language"},
		{name: "server: code over 64 KiB", fn: q4c.Function{Path: "a.py", Code: strings.Repeat("x", 65537)}, wantCode: codes.InvalidArgument, wantText: "function.code"},
		{name: "server: callee without summary or code", fn: q4c.Function{Path: "a.py", Code: code}, opts: []q4c.AnnotateOption{q4c.WithCallees(q4c.Callee{ID: "m.g"})}, wantCode: codes.InvalidArgument, wantText: "callees[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.Annotate(context.Background(), tt.fn, tt.opts...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := q4c.Code(err); got != tt.wantCode {
				t.Errorf("code %v, want %v (%v)", got, tt.wantCode, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	addr := testservers.StartAnnotator(t, true)
	fn := q4c.Function{Path: "a.py", Code: "def f():\n    return 1\n"}
	tests := []struct {
		name  string
		token string
		want  codes.Code
	}{
		{name: "right token", token: testservers.Token, want: codes.OK},
		{name: "no token", want: codes.Unauthenticated},
		{name: "wrong token", token: "nope", want: codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := dial(t, addr, q4c.Options{Token: tt.token})
			_, err := client.Annotate(context.Background(), fn)
			if got := q4c.Code(err); got != tt.want {
				t.Errorf("code %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

func TestDialRefusesTokenInClearToRemoteHost(t *testing.T) {
	if _, err := q4c.Dial("annotator.example.com:50053", q4c.Options{Token: "secret"}); err == nil {
		t.Fatal("Dial sent a token without TLS to a remote host")
	}
	c, err := q4c.Dial("annotator.example.com:50053", q4c.Options{Token: "secret", TLS: true})
	if err != nil {
		t.Fatalf("Dial with TLS: %v", err)
	}
	_ = c.Close()
	if _, err := q4c.Dial("", q4c.Options{}); err == nil {
		t.Fatal("Dial accepted an empty target")
	}
}

func TestCallTimeout(t *testing.T) {
	// An interceptor sees the deadline the call carries.
	seen := make(chan time.Duration, 1)
	recordDeadline := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		d, ok := ctx.Deadline()
		if !ok {
			seen <- -1
		} else {
			seen <- time.Until(d)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	tests := []struct {
		name        string
		timeout     time.Duration
		ctxTimeout  time.Duration
		wantAtLeast time.Duration // -1: no deadline
		wantAtMost  time.Duration
	}{
		{name: "default", timeout: 0, wantAtLeast: q4c.DefaultCallTimeout - time.Minute, wantAtMost: q4c.DefaultCallTimeout},
		{name: "configured", timeout: time.Hour, wantAtLeast: 59 * time.Minute, wantAtMost: time.Hour},
		{name: "caller's deadline wins", timeout: time.Hour, ctxTimeout: time.Minute, wantAtLeast: 0, wantAtMost: time.Minute},
		{name: "no deadline", timeout: -1, wantAtLeast: -1, wantAtMost: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := dial(t, annotatorAddr, q4c.Options{CallTimeout: tt.timeout, DialOptions: []grpc.DialOption{grpc.WithUnaryInterceptor(recordDeadline)}})
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			if _, err := client.Annotate(ctx, q4c.Function{Path: "a.py", Code: "def f():\n    return 1\n"}); err != nil {
				t.Fatal(err)
			}
			got := <-seen
			if tt.wantAtLeast == -1 {
				if got != -1 {
					t.Errorf("deadline in %v, want none", got)
				}
				return
			}
			if got < tt.wantAtLeast || got > tt.wantAtMost {
				t.Errorf("deadline in %v, want between %v and %v", got, tt.wantAtLeast, tt.wantAtMost)
			}
		})
	}
}

func TestAnnotateBatchKeepsOrderAndItemErrors(t *testing.T) {
	client := dial(t, annotatorAddr, q4c.Options{})
	ctx := context.Background()
	var reqs []q4c.Request
	for _, name := range []string{"parse_config", "load_users", "render_page", "send_email", "bad", "resize_image", "hash_password"} {
		fn := q4c.Function{Path: name + ".py", Code: "def " + name + "(x):\n    return x\n"}
		if name == "bad" {
			fn.Language = "cobol"
		}
		reqs = append(reqs, q4c.Request{Function: fn})
	}
	results, err := client.AnnotateBatch(ctx, reqs, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(results), len(reqs))
	}
	for i, r := range results {
		if reqs[i].Function.Language == "cobol" {
			if q4c.Code(r.Err) != codes.InvalidArgument || r.Result != nil {
				t.Errorf("item %d: %+v, want an InvalidArgument error", i, r)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("item %d: %v", i, r.Err)
			continue
		}
		// The offline back-end is deterministic: the batch item must be the
		// answer to its own request.
		single, err := client.AnnotateRequest(ctx, reqs[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.Result.Query != single.Query || r.Result.Summary != single.Summary {
			t.Errorf("item %d (%s): query %q, but alone it gets %q", i, reqs[i].Function.Path, r.Result.Query, single.Query)
		}
	}
}

func TestAnnotateBatchBoundsConcurrency(t *testing.T) {
	const limit = 3
	var (
		mu       sync.Mutex
		inFlight int
		peak     int
		gate     = make(chan struct{})
		opened   bool
	)
	// Hold every call until limit are in flight at once: if the batch
	// respects the bound the peak is exactly limit, if not it exceeds it.
	holdUntilFull := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		if inFlight == limit && !opened {
			opened = true
			close(gate)
		}
		mu.Unlock()
		<-gate
		err := invoker(ctx, method, req, reply, cc, opts...)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return err
	}
	conn, err := grpc.NewClient(annotatorAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUnaryInterceptor(holdUntilFull))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := q4c.NewFromConn(conn, q4c.Options{})
	reqs := make([]q4c.Request, 12)
	for i := range reqs {
		reqs[i] = q4c.Request{Function: q4c.Function{Path: "a.py", Code: "def f():\n    return 1\n"}}
	}
	results, err := client.AnnotateBatch(context.Background(), reqs, limit)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("item %d: %v", i, r.Err)
		}
	}
	if peak != limit {
		t.Errorf("peak calls in flight %d, want %d", peak, limit)
	}
}

func TestAnnotateBatchCancelled(t *testing.T) {
	client := dial(t, annotatorAddr, q4c.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reqs := []q4c.Request{
		{Function: q4c.Function{Path: "a.py", Code: "def f():\n    return 1\n"}},
		{Function: q4c.Function{Path: "b.py", Code: "def g():\n    return 2\n"}},
	}
	results, err := client.AnnotateBatch(ctx, reqs, 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	for i, r := range results {
		if r.Err == nil {
			t.Errorf("item %d succeeded after cancellation", i)
		}
	}
	if _, err := client.AnnotateBatch(context.Background(), reqs, -1); err == nil {
		t.Error("negative concurrency accepted")
	}
	if got, err := client.AnnotateBatch(context.Background(), nil, 0); err != nil || len(got) != 0 {
		t.Errorf("empty batch: %v, %v", got, err)
	}
}

// annotatorStartedForTest is a fresh annotator that lives as long as the test.
func annotatorStartedForTest(t *testing.T) string {
	t.Helper()
	return testservers.StartAnnotator(t, false)
}
