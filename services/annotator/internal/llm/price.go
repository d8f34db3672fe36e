package llm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Price is what a model costs in US dollars per million tokens.
type Price struct {
	PromptPerMillion     float64
	CompletionPerMillion float64
}

// PriceTable maps model names to prices. A model matches its exact name or
// the longest key it starts with ("gpt-4o-mini-2024-07-18" uses
// "gpt-4o-mini").
type PriceTable map[string]Price

// DefaultPrices are list prices of a few common models (USD per 1M tokens,
// standard tier). Override them with ParsePrices when they change or for
// models served elsewhere.
func DefaultPrices() PriceTable {
	return PriceTable{
		"gpt-3.5-turbo": {0.50, 1.50},
		"gpt-4o":        {2.50, 10.00},
		"gpt-4o-mini":   {0.15, 0.60},
		"gpt-4.1":       {2.00, 8.00},
		"gpt-4.1-mini":  {0.40, 1.60},
		"gpt-4.1-nano":  {0.10, 0.40},
		"gpt-4-turbo":   {10.00, 30.00},
		"o3-mini":       {1.10, 4.40},
		"o4-mini":       {1.10, 4.40},
		"gpt-5":         {1.25, 10.00},
		"gpt-5-mini":    {0.25, 2.00},
		"gpt-5-nano":    {0.05, 0.40},
	}
}

// Lookup returns the price of model and whether the table has one.
func (t PriceTable) Lookup(model string) (Price, bool) {
	if p, ok := t[model]; ok {
		return p, true
	}
	best := ""
	for k := range t {
		if strings.HasPrefix(model, k) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return Price{}, false
	}
	return t[best], true
}

// Cost returns the cost of a call and whether the model has a price; an
// unknown model costs 0.
func (t PriceTable) Cost(model string, promptTokens, completionTokens int64) (float64, bool) {
	p, ok := t.Lookup(model)
	if !ok {
		return 0, false
	}
	return (float64(promptTokens)*p.PromptPerMillion + float64(completionTokens)*p.CompletionPerMillion) / 1e6, true
}

// ParsePrices reads "model=prompt/completion,..." (USD per 1M tokens), e.g.
// "gpt-4o-mini=0.15/0.60,my-vllm-model=0/0", over a copy of base.
func ParsePrices(spec string, base PriceTable) (PriceTable, error) {
	out := PriceTable{}
	for k, v := range base {
		out[k] = v
	}
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		model, prices, ok := strings.Cut(entry, "=")
		promptStr, completionStr, ok2 := strings.Cut(prices, "/")
		if !ok || !ok2 || strings.TrimSpace(model) == "" {
			return nil, fmt.Errorf("price %q: want model=prompt/completion", entry)
		}
		p, err := strconv.ParseFloat(strings.TrimSpace(promptStr), 64)
		if err != nil || p < 0 {
			return nil, fmt.Errorf("price %q: bad prompt price", entry)
		}
		c, err := strconv.ParseFloat(strings.TrimSpace(completionStr), 64)
		if err != nil || c < 0 {
			return nil, fmt.Errorf("price %q: bad completion price", entry)
		}
		out[strings.TrimSpace(model)] = Price{PromptPerMillion: p, CompletionPerMillion: c}
	}
	return out, nil
}

// Models lists the table's models, sorted.
func (t PriceTable) Models() []string {
	models := make([]string, 0, len(t))
	for k := range t {
		models = append(models, k)
	}
	sort.Strings(models)
	return models
}
