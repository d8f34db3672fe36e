package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/query4code/query4code/platform/license"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
)

// ParsedSource is one source of a corpus as the parser reported it, for NearDuplicatePlan.
type ParsedSource struct {
	Source *parserv1.Source
	// Parsed is false for a source the parser failed on; it is in no cluster, as in a job.
	Parsed  bool
	Commit  string
	License string
	// Functions are the functions the parser emitted, in its order.
	Functions []*parserv1.Function
}

// NearDuplicatePlan decides the near-duplicates of a whole corpus (its sources in corpus order) as
// one job with options o over the corpus decides them: the same filters before clustering, the same
// clustering, the same representatives. A shard given the plan leaves out what that job would.
func NearDuplicatePlan(o *orchestratorv1.JobOptions, sources []ParsedSource) (*dataset.NearDuplicatePlan, error) {
	if o.GetFilters().GetKeepNearDuplicates() {
		return nil, errors.New("near-duplicate plan: near-duplicates are kept, so there is nothing to plan")
	}
	if o.GetFilters().GetNearDuplicatePlan() != "" {
		return nil, errors.New("near-duplicate plan: the options already name a plan")
	}
	tf, err := resolveTrainingFilters(o)
	if err != nil {
		return nil, err
	}
	repos := make([]*repoState, len(sources))
	provs := make([]dataset.Provenance, len(sources))
	for i, s := range sources {
		repos[i] = &repoState{index: i, source: s.Source, name: dataset.RepoName(s.Source), commit: s.Commit,
			license: s.License, parsed: s.Parsed}
		if repos[i].license == "" {
			repos[i].license = license.Unknown
		}
		provs[i] = dataset.SourceProvenance(s.Source)
	}
	dataset.Distinguish(provs)
	var funcs []*fnState
	for i, repo := range repos {
		repo.prov = provs[i]
		if !repo.parsed {
			continue
		}
		seen := map[string]bool{}
		for _, fn := range sources[i].Functions {
			// One state per id, as buildGraph makes them.
			if seen[fn.GetId()] {
				continue
			}
			seen[fn.GetId()] = true
			repo.funcs = append(repo.funcs, fn)
			funcs = append(funcs, &fnState{repo: repo, fn: fn})
		}
	}
	if err := decideExclusions(funcs, filtersOf(o), tf); err != nil {
		return nil, err
	}
	plan := &dataset.NearDuplicatePlan{Format: dataset.PlanFormat, Options: planOptions(o, tf), Sources: []dataset.PlanSource{}}
	byRepo := map[*repoState][]dataset.PlanFunction{}
	for _, f := range funcs {
		pf := dataset.PlanFunction{ID: f.fn.GetId(), Hash: dataset.PlanCodeHash(f.fn.GetCode())}
		if ex := f.exclusion; ex != nil && ex.reason == dataset.ReasonNearDuplicate {
			pf.Representative, pf.Jaccard = ex.representative, ex.jaccard
		}
		byRepo[f.repo] = append(byRepo[f.repo], pf)
	}
	for _, repo := range repos {
		if repo.parsed {
			plan.Sources = append(plan.Sources, dataset.PlanSource{Repo: repo.name, Commit: repo.commit,
				Functions: append([]dataset.PlanFunction{}, byRepo[repo]...)})
		}
	}
	return plan, nil
}

// planOptions are the options a plan records and a job applying it must share.
func planOptions(o *orchestratorv1.JobOptions, tf trainingFilters) dataset.PlanOptions {
	training := tf.manifest(o)
	training.Splits = "" // splits do not change which functions are clustered
	return dataset.PlanOptions{Parse: manifestParse(o), Filters: manifestFilters(o), Training: training}
}

// nearDuplicatePlan is a plan read for a job.
type nearDuplicatePlan struct {
	path    string
	sources map[string]dataset.PlanSource
	// functions holds every function of the plan by source name, then function id.
	functions map[string]map[string]dataset.PlanFunction
}

// loadPlan reads the plan at path and checks that it was made with the options want.
func loadPlan(path string, want dataset.PlanOptions) (*nearDuplicatePlan, error) {
	p, err := dataset.ReadNearDuplicatePlan(path)
	if err != nil {
		return nil, err
	}
	got, err := json.Marshal(p.Options)
	if err != nil {
		return nil, err
	}
	wanted, err := json.Marshal(want)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(got, wanted) {
		return nil, fmt.Errorf("near-duplicate plan %s was made with other parse options or filters than this job's: plan %s, job %s", path, got, wanted)
	}
	plan := &nearDuplicatePlan{path: path, sources: map[string]dataset.PlanSource{}, functions: map[string]map[string]dataset.PlanFunction{}}
	for _, s := range p.Sources {
		fns := make(map[string]dataset.PlanFunction, len(s.Functions))
		for _, f := range s.Functions {
			if _, dup := fns[f.ID]; dup {
				return nil, fmt.Errorf("near-duplicate plan %s: function %s of %s is listed twice", path, f.ID, s.Repo)
			}
			fns[f.ID] = f
		}
		plan.sources[s.Repo], plan.functions[s.Repo] = s, fns
	}
	return plan, nil
}

// check makes sure the plan covers the job's parsed sources as they are now: every source listed,
// at the same commit, with the same functions and the same code. A plan made from other sources
// would leave out the wrong functions, so any difference fails the job.
func (p *nearDuplicatePlan) check(repos []*repoState, funcs []*fnState) error {
	for _, repo := range repos {
		if !repo.parsed {
			continue
		}
		s, ok := p.sources[repo.name]
		if !ok {
			return fmt.Errorf("near-duplicate plan %s does not list source %s: make the plan from the corpus this job's sources come from", p.path, repo.name)
		}
		if s.Commit != "" && repo.commit != "" && s.Commit != repo.commit {
			return fmt.Errorf("near-duplicate plan %s was made from commit %s of %s, this job parsed %s: make the plan again", p.path, s.Commit, repo.name, repo.commit)
		}
	}
	count := map[*repoState]int{}
	for _, f := range funcs {
		count[f.repo]++
		pf, ok := p.functions[f.repo.name][f.fn.GetId()]
		if !ok {
			return fmt.Errorf("near-duplicate plan %s does not list function %s of %s: make the plan again", p.path, f.fn.GetId(), f.repo.name)
		}
		if pf.Hash != dataset.PlanCodeHash(f.fn.GetCode()) {
			return fmt.Errorf("near-duplicate plan %s was made from other code of %s in %s: make the plan again", p.path, f.fn.GetId(), f.repo.name)
		}
	}
	for _, repo := range repos {
		if n := len(p.sources[repo.name].Functions); repo.parsed && n != count[repo] {
			return fmt.Errorf("near-duplicate plan %s lists %d functions of %s, this job parsed %d: make the plan again", p.path, n, repo.name, count[repo])
		}
	}
	return nil
}

// apply leaves out every candidate the plan names a representative for (check has run).
func (p *nearDuplicatePlan) apply(candidates []*fnState) {
	for _, f := range candidates {
		pf := p.functions[f.repo.name][f.fn.GetId()]
		if pf.Representative == "" {
			continue
		}
		f.exclusion = &exclusion{reason: dataset.ReasonNearDuplicate, detail: dataset.NearDuplicateDetail(pf.Representative, pf.Jaccard),
			representative: pf.Representative, jaccard: pf.Jaccard}
	}
}
