package cli

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// jobCompletionIndexEnv is the variable Kubernetes sets in each pod of an Indexed Job.
const jobCompletionIndexEnv = "JOB_COMPLETION_INDEX"

// shardSpec selects shard Index of Count; Count 0 means no sharding.
type shardSpec struct {
	Index, Count int
}

// parseShard reads "I/N" (0 <= I < N) or "auto/N", where I comes from the variable indexEnv
// (JOB_COMPLETION_INDEX in an Indexed Job). An empty spec is no sharding.
func parseShard(spec, indexEnv string, getenv func(string) string) (shardSpec, error) {
	if spec == "" {
		return shardSpec{}, nil
	}
	idx, count, ok := strings.Cut(spec, "/")
	if !ok {
		return shardSpec{}, fmt.Errorf("--shard %q: want I/N or auto/N", spec)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return shardSpec{}, fmt.Errorf("--shard %q: N must be a positive integer", spec)
	}
	if idx == "auto" {
		if indexEnv == "" {
			indexEnv = jobCompletionIndexEnv
		}
		idx = getenv(indexEnv)
		if idx == "" {
			return shardSpec{}, fmt.Errorf("--shard %q: $%s is not set", spec, indexEnv)
		}
	}
	i, err := strconv.Atoi(strings.TrimSpace(idx))
	if err != nil || i < 0 || i >= n {
		return shardSpec{}, fmt.Errorf("--shard %q: index %q is not in 0..%d", spec, idx, n-1)
	}
	return shardSpec{Index: i, Count: n}, nil
}

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// shardKey is the string a source is sharded by: the absolute local path, or the git URL with
// "#revision" when one is given (without a trailing slash or ".git", so spellings of one repository
// agree). It depends on nothing but the source, so every shard agrees on every source's shard.
func shardKey(src *parserv1.Source) string {
	switch k := src.GetKind().(type) {
	case *parserv1.Source_LocalPath:
		return k.LocalPath
	case *parserv1.Source_Git:
		url := strings.TrimSuffix(strings.TrimSuffix(k.Git.GetUrl(), "/"), ".git")
		if rev := k.Git.GetRevision(); rev != "" {
			return url + "#" + rev
		}
		return url
	}
	return ""
}

// shardOf is FNV-1a 64 of shardKey modulo count.
func shardOf(src *parserv1.Source, count int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(shardKey(src)))
	return int(h.Sum64() % uint64(count))
}

// selectShard keeps the sources of shard s, in their order; without sharding it keeps all.
func selectShard(sources []*parserv1.Source, s shardSpec) []*parserv1.Source {
	if s.Count == 0 {
		return sources
	}
	var kept []*parserv1.Source
	for _, src := range sources {
		if shardOf(src, s.Count) == s.Index {
			kept = append(kept, src)
		}
	}
	return kept
}
