package server

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/query4code/query4code/services/parser/internal/admission"
)

// registerAdmissionMetrics exports the gate's usage, read at each scrape.
func registerAdmissionMetrics(reg prometheus.Registerer, gate *admission.Gate) error {
	gauge := func(name, help string, value func(admission.Usage) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return value(gate.Usage()) })
	}
	for _, c := range []prometheus.Collector{
		gauge("parser_analysis_bytes_in_flight", "Source bytes of the analyses running.",
			func(u admission.Usage) float64 { return float64(u.Bytes) }),
		gauge("parser_analyses_in_flight", "Analyses running.",
			func(u admission.Usage) float64 { return float64(u.Analyses) }),
		gauge("parser_analyses_waiting", "Analyses waiting for the budget.",
			func(u admission.Usage) float64 { return float64(u.Waiting) }),
		gauge("parser_analysis_budget_bytes", "Source bytes the analyses running at once may parse.",
			func(u admission.Usage) float64 { return float64(u.Budget) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parser_analyses_refused_total",
			Help: "Analyses refused with ResourceExhausted after waiting for the budget.",
		}, func() float64 { return float64(gate.Usage().Refusals) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register parser metrics: %w", err)
		}
	}
	return nil
}
