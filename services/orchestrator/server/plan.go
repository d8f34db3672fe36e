package server

import "github.com/query4code/query4code/services/orchestrator/internal/pipeline"

// ParsedSource is one source of a corpus as the parser reported it.
type ParsedSource = pipeline.ParsedSource

// NearDuplicatePlan decides the near-duplicates of a whole corpus as one job with the options over
// the corpus would; q4c popularity --near-duplicate-plan writes it for the shards of the corpus
// (JobOptions.filters.near_duplicate_plan).
var NearDuplicatePlan = pipeline.NearDuplicatePlan
