package server

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/query4code/query4code/services/annotator/internal/llm"
	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// llmMetrics counts what the LLM costs, for operators (docs/operations.md,
// "Metrics"). It is the openai back-end's llm.Observer; the offline back-end
// sends no request and leaves them at 0.
type llmMetrics struct {
	requests *prometheus.CounterVec // by stage and outcome
	retries  *prometheus.CounterVec // by stage and the outcome retried after
	repairs  *prometheus.CounterVec // by stage
	tokens   *prometheus.CounterVec // by kind: prompt, completion
	cost     prometheus.Counter
}

func newLLMMetrics() *llmMetrics {
	return &llmMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "q4c_llm_requests_total",
			Help: "LLM requests sent, by stage and outcome (ok, bad_output, rate_limited, unavailable, timeout, rejected); retries and repairs included.",
		}, []string{"stage", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "q4c_llm_retries_total",
			Help: "LLM requests resent after a transient failure, by stage and the failure's outcome.",
		}, []string{"stage", "outcome"}),
		repairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "q4c_llm_repairs_total",
			Help: "Repair requests sent after an unparsable answer, by stage.",
		}, []string{"stage"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "q4c_llm_tokens_total",
			Help: "Tokens the LLM reported, by kind (prompt, completion).",
		}, []string{"kind"}),
		cost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "q4c_llm_cost_usd_total",
			Help: "Cost of LLM requests in USD from the price table (0 for unpriced models).",
		}),
	}
}

// register adds the metrics to reg; nil registers nothing (the counters
// still count).
func (m *llmMetrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.retries, m.repairs, m.tokens, m.cost} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register LLM metrics: %w", err)
		}
	}
	return nil
}

var _ llm.Observer = (*llmMetrics)(nil)

// Request counts one request with its tokens and cost.
func (m *llmMetrics) Request(stage prompt.Stage, outcome llm.Outcome, u llm.Usage) {
	m.requests.WithLabelValues(string(stage), string(outcome)).Inc()
	if u.PromptTokens > 0 {
		m.tokens.WithLabelValues("prompt").Add(float64(u.PromptTokens))
	}
	if u.CompletionTokens > 0 {
		m.tokens.WithLabelValues("completion").Add(float64(u.CompletionTokens))
	}
	if u.CostUSD > 0 {
		m.cost.Add(u.CostUSD)
	}
}

// Retry counts a request about to be resent.
func (m *llmMetrics) Retry(stage prompt.Stage, after llm.Outcome) {
	m.retries.WithLabelValues(string(stage), string(after)).Inc()
}

// Repair counts a repair request about to be sent.
func (m *llmMetrics) Repair(stage prompt.Stage) {
	m.repairs.WithLabelValues(string(stage)).Inc()
}
