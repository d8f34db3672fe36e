package server

import (
	"flag"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/query4code/query4code/platform/config"
)

// Back-end names for Config.LLM.
const (
	BackendOffline = "offline"
	BackendOpenAI  = "openai"
)

// Config configures the annotator service.
type Config struct {
	// LLM is the back-end: "offline" (default, no network) or "openai"
	// (any OpenAI-compatible server).
	LLM string

	// The openai back-end. APIKey falls back to $Q4C_ANNOTATOR_LLM_API_KEY,
	// then $OPENAI_API_KEY.
	BaseURL        string
	APIKey         string
	Organization   string
	Model          string
	ResponseFormat string // auto, json_schema, json_object or none
	Temperature    float64
	// MaxCompletionTokens per answer.
	MaxCompletionTokens int
	// CallTimeout bounds one HTTP attempt.
	CallTimeout time.Duration
	// MaxRetries after the first attempt; 0 is none.
	MaxRetries int
	// RetryBackoff is the first back-off step; it doubles per retry.
	RetryBackoff      time.Duration
	RequestsPerMinute int
	TokensPerMinute   int
	// Prices adds to or overrides the default price table:
	// "model=prompt/completion,..." in USD per 1M tokens.
	Prices string

	// MaxContextTokens is the default context budget (callees and API docs).
	MaxContextTokens int

	Logger *slog.Logger
	// Metrics, when set, receives the LLM counters (q4c_llm_*).
	Metrics prometheus.Registerer
	// HTTPClient for the openai back-end; tests and custom TLS.
	HTTPClient *http.Client
}

// DefaultConfig is the configuration the flags default to.
func DefaultConfig() Config {
	return Config{
		LLM:                 BackendOffline,
		BaseURL:             "https://api.openai.com/v1",
		Model:               "gpt-4o-mini",
		ResponseFormat:      "auto",
		MaxCompletionTokens: 256,
		CallTimeout:         60 * time.Second,
		MaxRetries:          4,
		RetryBackoff:        500 * time.Millisecond,
		MaxContextTokens:    2048,
	}
}

const flagService = "annotator"

// RegisterFlags adds the annotator's flags, with Q4C_ANNOTATOR_* variables
// as fallbacks, taking c's values as defaults. The API key has a flag but
// no default shown: pass it in the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	env := func(name string) string { return config.EnvName(flagService, name) }
	config.EnvStringVar(fs, &c.LLM, "llm", env("llm"), c.LLM, "generation back-end: offline or openai")
	config.EnvStringVar(fs, &c.BaseURL, "llm-base-url", env("llm-base-url"), c.BaseURL, "base URL of the OpenAI-compatible API (OpenAI, Azure, vLLM, Ollama, llama.cpp, bin/fakellm)")
	config.EnvStringVar(fs, &c.Model, "llm-model", env("llm-model"), c.Model, "model name")
	config.EnvStringVar(fs, &c.Organization, "llm-org", env("llm-org"), c.Organization, "OpenAI organization id")
	// Not EnvStringVar: the help text would print the key taken from the
	// environment as the flag's default.
	fs.StringVar(&c.APIKey, "llm-api-key", c.APIKey, "API key (prefer $"+env("llm-api-key")+" or $OPENAI_API_KEY)")
	config.EnvStringVar(fs, &c.ResponseFormat, "llm-response-format", env("llm-response-format"), c.ResponseFormat, "JSON answers: auto (json_schema, stepping down when refused), json_schema, json_object or none")
	config.EnvFloat64Var(fs, &c.Temperature, "llm-temperature", env("llm-temperature"), c.Temperature, "sampling temperature")
	config.EnvIntVar(fs, &c.MaxCompletionTokens, "llm-max-tokens", env("llm-max-tokens"), c.MaxCompletionTokens, "most tokens per answer")
	config.EnvDurationVar(fs, &c.CallTimeout, "llm-timeout", env("llm-timeout"), c.CallTimeout, "timeout of one LLM request")
	config.EnvIntVar(fs, &c.MaxRetries, "llm-max-retries", env("llm-max-retries"), c.MaxRetries, "retries on 429, 5xx and timeouts (0: none)")
	config.EnvDurationVar(fs, &c.RetryBackoff, "llm-retry-backoff", env("llm-retry-backoff"), c.RetryBackoff, "first retry back-off, doubling per retry (Retry-After wins when sent)")
	config.EnvIntVar(fs, &c.RequestsPerMinute, "llm-rpm", env("llm-rpm"), c.RequestsPerMinute, "requests per minute limit (0: none)")
	config.EnvIntVar(fs, &c.TokensPerMinute, "llm-tpm", env("llm-tpm"), c.TokensPerMinute, "tokens per minute limit (0: none)")
	config.EnvStringVar(fs, &c.Prices, "llm-prices", env("llm-prices"), c.Prices, "price overrides, model=prompt/completion USD per 1M tokens, comma-separated")
	config.EnvIntVar(fs, &c.MaxContextTokens, "max-context-tokens", env("max-context-tokens"), c.MaxContextTokens, "default token budget for callee summaries and API docs")
}

func (c Config) apiKey() string {
	if c.APIKey != "" {
		return c.APIKey
	}
	if k := os.Getenv(config.EnvName(flagService, "llm-api-key")); k != "" {
		return k
	}
	return os.Getenv("OPENAI_API_KEY")
}
