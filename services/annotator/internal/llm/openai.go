package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/query4code/query4code/platform/redact"
	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// ResponseFormat is how the client asks for JSON answers.
type ResponseFormat string

// Response formats, strongest first. Auto starts with json_schema and steps
// down when the server rejects a format, for the life of the client.
const (
	FormatAuto       ResponseFormat = "auto"
	FormatJSONSchema ResponseFormat = "json_schema"
	FormatJSONObject ResponseFormat = "json_object"
	FormatNone       ResponseFormat = "none"
)

// OpenAIConfig configures the openai back-end. Zero values take the
// defaults noted.
type OpenAIConfig struct {
	BaseURL      string // default https://api.openai.com/v1
	APIKey       string
	Organization string
	Model        string // default gpt-4o-mini
	// ResponseFormat default auto.
	ResponseFormat ResponseFormat
	Temperature    float32
	// MaxCompletionTokens per answer; default 256.
	MaxCompletionTokens int
	// CallTimeout bounds one HTTP attempt; default 60s.
	CallTimeout time.Duration
	// MaxRetries after the first attempt on 429, 5xx, timeouts and broken
	// responses; default 4. Negative means none.
	MaxRetries int
	// BackoffBase and BackoffMax shape the exponential back-off; defaults
	// 500ms and 20s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out; a
	// longer one fails the call with ErrRateLimited. Default 60s.
	MaxRetryAfter time.Duration
	// RequestsPerMinute and TokensPerMinute limit this client; 0 is none.
	RequestsPerMinute int
	TokensPerMinute   int
	// Prices default to DefaultPrices().
	Prices PriceTable
	// HTTPClient, if set, has its transport wrapped (Retry-After capture,
	// OpenTelemetry); its Timeout should be 0 (CallTimeout applies).
	HTTPClient *http.Client
	Clock      Clock
	// Jitter returns a number in [0, 1); default math/rand/v2.
	Jitter   func() float64
	Logger   *slog.Logger
	Renderer *prompt.Renderer // default prompt.Default()
	// Observer is told about every request sent; default NopObserver.
	Observer Observer
}

func (c *OpenAIConfig) setDefaults() error {
	if c.BaseURL == "" {
		c.BaseURL = "https://api.openai.com/v1"
	}
	if c.Model == "" {
		c.Model = "gpt-4o-mini"
	}
	switch c.ResponseFormat {
	case "":
		c.ResponseFormat = FormatAuto
	case FormatAuto, FormatJSONSchema, FormatJSONObject, FormatNone:
	default:
		return fmt.Errorf("response format %q: want auto, json_schema, json_object or none", c.ResponseFormat)
	}
	if c.MaxCompletionTokens <= 0 {
		c.MaxCompletionTokens = 256
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 60 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 4
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 500 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 20 * time.Second
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = 60 * time.Second
	}
	if c.Prices == nil {
		c.Prices = DefaultPrices()
	}
	if c.Clock == nil {
		c.Clock = RealClock{}
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = NopObserver{}
	}
	if c.Renderer == nil {
		r, err := prompt.Default()
		if err != nil {
			return err
		}
		c.Renderer = r
	}
	return nil
}

// OpenAI is the back-end for OpenAI-compatible chat completion servers
// (OpenAI, Azure, vLLM, Ollama, llama.cpp).
type OpenAI struct {
	cfg     OpenAIConfig
	client  *openai.Client
	limiter *Limiter
	// format is the current ResponseFormat level (see formatLevels).
	format       atomic.Int32
	unpricedOnce sync.Once
	transport    *http.Transport // nil when the caller gave one
}

// Close drops idle connections of the client's own transport.
func (c *OpenAI) Close() {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
}

var _ Generator = (*OpenAI)(nil)

// formatLevels orders the formats from strongest to weakest.
var formatLevels = []ResponseFormat{FormatJSONSchema, FormatJSONObject, FormatNone}

// NewOpenAI returns a client for cfg.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	httpClient := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		httpClient = &copied
	}
	base := httpClient.Transport
	var owned *http.Transport
	if base == nil {
		// A transport of its own, so Close can drop its idle connections.
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			owned = dt.Clone()
			base = owned
		} else {
			base = http.DefaultTransport
		}
	}
	// otelhttp inside, so the span covers the wire; the capture outside
	// reads the final response's headers.
	httpClient.Transport = &retryAfterCapture{base: otelhttp.NewTransport(base), clock: cfg.Clock}

	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	oc.OrgID = cfg.Organization
	oc.HTTPClient = httpClient
	c := &OpenAI{
		transport: owned,
		cfg:       cfg,
		client:    openai.NewClientWithConfig(oc),
		limiter:   NewLimiter(cfg.RequestsPerMinute, cfg.TokensPerMinute, cfg.Clock),
	}
	start := 0
	if cfg.ResponseFormat != FormatAuto {
		for i, f := range formatLevels {
			if f == cfg.ResponseFormat {
				start = i
			}
		}
	}
	c.format.Store(int32(start))
	return c, nil
}

// Model returns the configured model name.
func (c *OpenAI) Model() string { return c.cfg.Model }

// ResponseFormat returns the format the client currently asks for.
func (c *OpenAI) ResponseFormat() ResponseFormat { return formatLevels[c.format.Load()] }

// Summarize asks for a concise summary of the function with its context.
func (c *OpenAI) Summarize(ctx context.Context, in prompt.Input) (Summary, error) {
	p, err := c.cfg.Renderer.Summary(in)
	if err != nil {
		return Summary{}, err
	}
	var text string
	model, usage, err := c.complete(ctx, p, nil, func(content string) error {
		s, err := ParseSummary(content)
		text = s
		return err
	})
	if err != nil {
		return Summary{}, err
	}
	return Summary{Text: text, Model: model, Usage: usage}, nil
}

// GenerateQuery asks for one search query as JSON.
func (c *OpenAI) GenerateQuery(ctx context.Context, in prompt.Input, summary string) (Query, error) {
	p, err := c.cfg.Renderer.Query(in, summary)
	if err != nil {
		return Query{}, err
	}
	var text string
	model, usage, err := c.complete(ctx, p, querySchema, func(content string) error {
		q, err := ParseQuery(content)
		text = q
		return err
	})
	if err != nil {
		return Query{}, err
	}
	return Query{Text: text, Model: model, Usage: usage}, nil
}

// Validate asks the judge for a 0-3 score with an explanation.
func (c *OpenAI) Validate(ctx context.Context, in prompt.Input, query string) (Judgement, error) {
	p, err := c.cfg.Renderer.Validate(in, query)
	if err != nil {
		return Judgement{}, err
	}
	var score int
	var explanation string
	model, usage, err := c.complete(ctx, p, judgementSchema, func(content string) error {
		s, e, err := ParseJudgement(content)
		score, explanation = s, e
		return err
	})
	if err != nil {
		return Judgement{}, err
	}
	return Judgement{
		Score:       score,
		Explanation: explanation,
		Relevance:   float64(score) / MaxScore,
		Model:       model,
		Usage:       usage,
	}, nil
}

// jsonSchema is a named response schema for json_schema mode.
type jsonSchema struct {
	name   string
	schema json.RawMessage
}

var (
	querySchema = &jsonSchema{name: "search_query", schema: json.RawMessage(`{"type":"object",` +
		`"properties":{"query":{"type":"string"}},"required":["query"],"additionalProperties":false}`)}
	judgementSchema = &jsonSchema{name: "relevance_judgement", schema: json.RawMessage(`{"type":"object",` +
		`"properties":{"explanation":{"type":"string"},"score":{"type":"integer","enum":[0,1,2,3]}},` +
		`"required":["explanation","score"],"additionalProperties":false}`)}
)

// repairInstruction is sent once after an unparsable answer.
func repairInstruction(stage prompt.Stage) string {
	switch stage {
	case prompt.StageQuery:
		return `Your answer could not be read. Reply with only this JSON object and nothing else: {"query": "<the search query>"}`
	case prompt.StageValidate:
		return `Your answer could not be read. Reply with only this JSON object and nothing else: {"explanation": "<one or two sentences>", "score": <0, 1, 2 or 3>}`
	}
	return "Your answer was empty. Reply with the concise summary only, as plain text."
}

// complete sends the prompt, parses the answer with parse, and repairs an
// unparsable answer once: a second bad answer fails with ErrBadOutput. Usage,
// also that of a failure's CallError, covers every request made.
func (c *OpenAI) complete(ctx context.Context, p prompt.Prompt, schema *jsonSchema, parse func(string) error) (string, Usage, error) {
	// A last line of defence: callers redact inputs, but nothing that looks
	// like a secret leaves the process whoever the caller is.
	system, n1 := redact.String(p.System)
	user, n2 := redact.String(p.User)
	if n1+n2 > 0 {
		c.cfg.Logger.WarnContext(ctx, "redacted secrets in an outgoing prompt", "stage", p.Stage, "count", n1+n2)
	}
	messages := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: user},
	}
	usage := Usage{Priced: true}
	model := c.cfg.Model
	for repaired := false; ; repaired = true {
		content, m, u, answered, err := c.chat(ctx, p.Stage, messages, schema)
		if m != "" {
			model = m
		}
		if err != nil {
			return model, usage.Add(u), AddUsage(err, usage)
		}
		usage = usage.Add(u)
		perr := parse(content)
		if perr == nil {
			c.cfg.Observer.Request(p.Stage, OutcomeOK, answered)
			return model, usage, nil
		}
		c.cfg.Observer.Request(p.Stage, OutcomeBadOutput, answered)
		if repaired {
			return model, usage, &CallError{Stage: p.Stage, Kind: ErrBadOutput, Attempts: usage.Calls, Usage: usage, Err: perr}
		}
		c.cfg.Observer.Repair(p.Stage)
		c.cfg.Logger.InfoContext(ctx, "asking the model to repair an unparsable answer", "stage", p.Stage, "error", perr)
		messages = append(messages,
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: repairInstruction(p.Stage)},
		)
	}
}

// chat makes one chat completion with rate limiting and retries. It
// returns the answer, the model that wrote it, the usage of every attempt
// and that of the answered one alone (which the caller reports to the
// Observer once it knows whether the answer parses). A CallError carries
// the usage of every attempt. Failed attempts are reported to the Observer
// here.
func (c *OpenAI) chat(ctx context.Context, stage prompt.Stage, messages []openai.ChatCompletionMessage, schema *jsonSchema) (string, string, Usage, Usage, error) {
	usage := Usage{Priced: true}
	estimate := c.cfg.MaxCompletionTokens
	for _, m := range messages {
		estimate += prompt.EstimateTokens(m.Content) + 4
	}
	retries := 0
	for {
		if err := c.limiter.Wait(ctx, estimate); err != nil {
			if ctx.Err() != nil {
				return "", "", usage, Usage{}, fmt.Errorf("%s stage: waiting for the rate limiter: %w", stage, err)
			}
			return "", "", usage, Usage{}, &CallError{Stage: stage, Kind: ErrRateLimited, Attempts: usage.Calls, Usage: usage,
				RetryAfter: c.backoff(retries + 1), Err: err}
		}
		level := c.format.Load()
		req := c.request(messages, schema, formatLevels[level])
		info := &attemptInfo{}
		attemptCtx, cancel := context.WithTimeout(context.WithValue(ctx, attemptInfoKey{}, info), c.cfg.CallTimeout)
		resp, err := c.client.CreateChatCompletion(attemptCtx, req)
		timedOut := errors.Is(attemptCtx.Err(), context.DeadlineExceeded)
		cancel()
		usage.Calls++
		if err == nil && len(resp.Choices) > 0 {
			model := resp.Model
			if model == "" {
				model = c.cfg.Model
			}
			answered := Usage{PromptTokens: int64(resp.Usage.PromptTokens), CompletionTokens: int64(resp.Usage.CompletionTokens), Calls: 1, Priced: true}
			cost, priced := c.cfg.Prices.Cost(model, int64(resp.Usage.PromptTokens), int64(resp.Usage.CompletionTokens))
			if !priced {
				// Retry the configured name: servers often answer with a
				// dated or local model id.
				cost, priced = c.cfg.Prices.Cost(c.cfg.Model, int64(resp.Usage.PromptTokens), int64(resp.Usage.CompletionTokens))
			}
			if !priced {
				c.unpricedOnce.Do(func() {
					c.cfg.Logger.WarnContext(ctx, "model has no price in the price table; cost reported as 0", "model", model)
				})
			}
			answered.CostUSD, answered.Priced = cost, priced
			usage.PromptTokens += answered.PromptTokens
			usage.CompletionTokens += answered.CompletionTokens
			usage.CostUSD += cost
			usage.Priced = usage.Priced && priced
			return resp.Choices[0].Message.Content, model, usage, answered, nil
		}
		if err == nil {
			err = errors.New("response has no choices")
		}
		f := classify(err, timedOut, info)
		c.cfg.Observer.Request(stage, f.outcome(), Usage{Calls: 1})
		if ctx.Err() != nil {
			return "", "", usage, Usage{}, fmt.Errorf("%s stage: %w", stage, ctx.Err())
		}
		if f.formatRejected && schema != nil && int(level) < len(formatLevels)-1 {
			// The server does not do this response format: step down for
			// good and resend at once. Not a retry: nothing failed upstream.
			if c.format.CompareAndSwap(level, level+1) {
				c.cfg.Logger.WarnContext(ctx, "server rejected the response format; stepping down",
					"from", formatLevels[level], "to", formatLevels[level+1])
			}
			continue
		}
		callErr := &CallError{Stage: stage, Kind: f.kind, Attempts: usage.Calls, StatusCode: f.status, Usage: usage, Err: err}
		wait := c.backoff(retries + 1)
		if info.retryAfter > 0 {
			wait = info.retryAfter
		}
		if f.retryable {
			callErr.RetryAfter = wait
		}
		if !f.retryable || retries >= c.cfg.MaxRetries {
			return "", "", usage, Usage{}, callErr
		}
		if info.retryAfter > c.cfg.MaxRetryAfter {
			callErr.Err = fmt.Errorf("server asked to retry after %s, more than the %s allowed: %w", info.retryAfter, c.cfg.MaxRetryAfter, err)
			return "", "", usage, Usage{}, callErr
		}
		if deadline, ok := ctx.Deadline(); ok && c.cfg.Clock.Now().Add(wait).After(deadline) {
			callErr.Err = fmt.Errorf("no time left to retry after %s: %w", wait, err)
			return "", "", usage, Usage{}, callErr
		}
		retries++
		c.cfg.Observer.Retry(stage, f.outcome())
		c.cfg.Logger.DebugContext(ctx, "retrying LLM call", "stage", stage, "attempt", usage.Calls+1,
			"wait", wait, "status", f.status, "error", err)
		if err := c.cfg.Clock.Sleep(ctx, wait); err != nil {
			return "", "", usage, Usage{}, fmt.Errorf("%s stage: waiting to retry: %w", stage, err)
		}
	}
}

func (c *OpenAI) request(messages []openai.ChatCompletionMessage, schema *jsonSchema, format ResponseFormat) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: c.cfg.Model, Messages: messages}
	if isReasoningModel(c.cfg.Model) {
		// These models take max_completion_tokens and a fixed temperature.
		req.MaxCompletionTokens = c.cfg.MaxCompletionTokens
	} else {
		// max_tokens, deprecated by OpenAI, is the field vLLM, llama.cpp
		// and Ollama's OpenAI endpoints all read.
		req.MaxTokens = c.cfg.MaxCompletionTokens //nolint:staticcheck // see above
		req.Temperature = c.cfg.Temperature
		if req.Temperature == 0 {
			// go-openai omits a zero temperature, and servers then default
			// to 1; the smallest positive value is greedy decoding.
			req.Temperature = math.SmallestNonzeroFloat32
		}
	}
	if schema == nil {
		return req
	}
	switch format {
	case FormatJSONSchema:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   schema.name,
				Schema: schema.schema,
				Strict: true,
			},
		}
	case FormatJSONObject:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	return req
}

func isReasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// backoff is exponential with equal jitter: half the step is fixed, half
// random, so concurrent callers spread out but never retry at once.
func (c *OpenAI) backoff(retry int) time.Duration {
	step := float64(c.cfg.BackoffBase) * math.Pow(2, float64(retry-1))
	if step > float64(c.cfg.BackoffMax) {
		step = float64(c.cfg.BackoffMax)
	}
	return time.Duration(step/2 + c.cfg.Jitter()*step/2)
}

// failure is a classified attempt error.
type failure struct {
	kind           error
	retryable      bool
	status         int
	formatRejected bool
}

// outcome names the failure for metrics.
func (f failure) outcome() Outcome {
	switch f.kind {
	case ErrRateLimited:
		return OutcomeRateLimited
	case ErrTimeout:
		return OutcomeTimeout
	case ErrRejected:
		return OutcomeRejected
	}
	return OutcomeUnavailable
}

func classify(err error, timedOut bool, info *attemptInfo) failure {
	status := info.status
	message := ""
	code := ""
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
		message = apiErr.Message
		if s, ok := apiErr.Code.(string); ok {
			code = s
		}
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
		message = string(reqErr.Body)
	}
	switch {
	case status == http.StatusTooManyRequests:
		// An exhausted quota does not come back with waiting.
		return failure{kind: ErrRateLimited, retryable: code != "insufficient_quota", status: status}
	case status == http.StatusRequestTimeout || status >= 500:
		return failure{kind: ErrUnavailable, retryable: true, status: status}
	case status == http.StatusBadRequest && mentionsResponseFormat(message):
		return failure{kind: ErrRejected, status: status, formatRejected: true}
	case status >= 400 && (apiErr != nil || reqErr != nil):
		return failure{kind: ErrRejected, status: status}
	case timedOut:
		return failure{kind: ErrTimeout, retryable: true, status: status}
	}
	// Network errors and broken bodies (truncated, not JSON).
	return failure{kind: ErrUnavailable, retryable: true, status: status}
}

func mentionsResponseFormat(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "response_format") || strings.Contains(m, "json_schema") ||
		strings.Contains(m, "json_object") || strings.Contains(m, "response format")
}
