package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	docsserver "github.com/query4code/query4code/services/docs/server"
	"github.com/query4code/query4code/services/orchestrator/dataset"
)

func TestParseShard(t *testing.T) {
	env := map[string]string{"JOB_COMPLETION_INDEX": "2", "MY_INDEX": "1", "BAD_INDEX": "9"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		spec, envName string
		want          shardSpec
		wantErr       string
	}{
		{"", "", shardSpec{}, ""},
		{"0/1", "", shardSpec{0, 1}, ""},
		{"2/3", "", shardSpec{2, 3}, ""},
		{"auto/4", "", shardSpec{2, 4}, ""},
		{"auto/4", "JOB_COMPLETION_INDEX", shardSpec{2, 4}, ""},
		{"auto/4", "MY_INDEX", shardSpec{1, 4}, ""},
		{"auto/4", "UNSET_INDEX", shardSpec{}, "not set"},
		{"auto/4", "BAD_INDEX", shardSpec{}, "not in 0..3"},
		{"3/3", "", shardSpec{}, "not in 0..2"},
		{"-1/3", "", shardSpec{}, "not in 0..2"},
		{"1/0", "", shardSpec{}, "positive"},
		{"x/3", "", shardSpec{}, "not in"},
		{"3", "", shardSpec{}, "I/N"},
	}
	for _, tc := range tests {
		t.Run(tc.spec+" "+tc.envName, func(t *testing.T) {
			got, err := parseShard(tc.spec, tc.envName, getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func gitSource(url, rev string) *parserv1.Source {
	return &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: url, Revision: rev}}}
}

// TestShardingIsStableAndCovers checks that every source lands in exactly one shard, that the
// assignment depends only on the source (not on the list or its order), and pins the hash so a
// change that would reshuffle running corpora is noticed.
func TestShardingIsStableAndCovers(t *testing.T) {
	var corpus []*parserv1.Source
	for i := range 300 {
		if i%3 == 0 {
			corpus = append(corpus, &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: fmt.Sprintf("/srv/repos/r%03d", i)}})
		} else {
			corpus = append(corpus, gitSource(fmt.Sprintf("https://github.com/org%d/repo%d", i%7, i), []string{"", "main", "v1.2.0"}[i%3]))
		}
	}
	for _, n := range []int{1, 2, 3, 7, 16, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seen := map[string]int{}
			sizes := make([]int, n)
			for i := range n {
				for _, src := range selectShard(corpus, shardSpec{Index: i, Count: n}) {
					seen[shardKey(src)]++
					sizes[i]++
				}
			}
			for _, src := range corpus {
				if c := seen[shardKey(src)]; c != 1 {
					t.Fatalf("%s is in %d shards", shardKey(src), c)
				}
			}
			if len(seen) != len(corpus) {
				t.Fatalf("%d sources across the shards, want %d", len(seen), len(corpus))
			}
			// The same sources in another order, and a sub-list, give every source the same shard.
			reversed := slices.Clone(corpus)
			slices.Reverse(reversed)
			for i := range n {
				a := selectShard(corpus, shardSpec{Index: i, Count: n})
				b := selectShard(reversed, shardSpec{Index: i, Count: n})
				c := selectShard(corpus[:len(corpus)/2], shardSpec{Index: i, Count: n})
				if len(a) != len(b) {
					t.Fatalf("shard %d has %d sources, %d when the list is reversed", i, len(a), len(b))
				}
				for _, src := range c {
					if !slices.Contains(a, src) {
						t.Fatalf("%s moved shard when the list shrank", shardKey(src))
					}
				}
			}
			if n == 3 && slices.Min(sizes) < 70 {
				t.Errorf("shard sizes %v: the hash does not spread 300 sources over 3 shards", sizes)
			}
		})
	}
	// Spellings of one repository agree; revisions are different sources.
	same := []*parserv1.Source{gitSource("https://github.com/psf/requests", "v2.31.0"), gitSource("https://github.com/psf/requests.git", "v2.31.0"), gitSource("https://github.com/psf/requests/", "v2.31.0")}
	for _, src := range same[1:] {
		if shardKey(src) != shardKey(same[0]) {
			t.Errorf("shard key %q differs from %q", shardKey(src), shardKey(same[0]))
		}
	}
	if shardKey(gitSource("https://github.com/psf/requests", "")) == shardKey(same[0]) {
		t.Error("a revision does not change the shard key")
	}
	// Pinned: FNV-1a 64 of "https://github.com/psf/requests#v2.31.0".
	if got := shardOf(same[0], 1000); got != pinnedShard {
		t.Errorf("shard of psf/requests@v2.31.0 among 1000 is %d, was %d: the shard hash changed", got, pinnedShard)
	}
}

// pinnedShard is fnv64a("https://github.com/psf/requests#v2.31.0") % 1000.
const pinnedShard = 140

// corpus writes n small repositories and a Python environment with the third-party package they
// share, and returns the sources file (deliberately not in name order) and the environment.
//
// Every repository calls tinylib.common twice and numpy.mean once: 2n call sites of tinylib.common, above the docs service's popularity
// threshold (10) for the corpus but not for a shard of a few repositories, so a shard that judged
// popularity on its own would put tinylib.common's documentation in its prompts. Repository 3 also
// calls tinylib.rare, unpopular everywhere, and every repository has one identical function.
func corpus(t *testing.T, n int) (sourcesFile, pythonPath string) {
	t.Helper()
	root := t.TempDir()
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pythonPath = filepath.Join(root, "site-packages")
	write(filepath.Join(pythonPath, "tinylib", "__init__.py"), `"""A small third-party library."""


def common(values, scale=1):
    """Combine values with the shared lookup table and scale the result."""
    return [v * scale for v in values]


def rare(values):
    """Apply the rarely used inverse transform to values."""
    return list(reversed(values))
`)
	var lines []string
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("repo%d", i))
		rare := ""
		if i == 3 {
			rare = "\n    data = tinylib.rare(data)"
		}
		write(filepath.Join(dir, fmt.Sprintf("pkg%d", i), "__init__.py"), "")
		write(filepath.Join(dir, fmt.Sprintf("pkg%d", i), "core.py"), fmt.Sprintf(`import tinylib
import numpy as np


def clamp(value, low, high):
    """Limit value to the range from low to high."""
    return max(low, min(value, high))


def normalise_%[1]d(values):
    """Normalise the readings of station %[1]d."""
    data = tinylib.common(values)%[2]s
    return tinylib.common([clamp(v, 0, 1) for v in data], scale=2)


def average_%[1]d(values):
    """Average the normalised readings of station %[1]d."""
    return np.mean(normalise_%[1]d(values))


def summarise(readings, window=5):
    """Summarise readings over a sliding window: the low, high and mean of each window."""
    out = []
    for start in range(0, len(readings) - window + 1):
        chunk = readings[start:start + window]
        low, high = min(chunk), max(chunk)
        mean = sum(chunk) / len(chunk)
        out.append({"start": start, "low": low, "high": high, "mean": mean, "spread": high - low})
    if not out:
        return {"station": %[1]d, "windows": [], "empty": True}
    return {"station": %[1]d, "windows": out, "empty": False}
`, i, rare))
		write(filepath.Join(dir, "LICENSE"), "Permission is hereby granted, free of charge, to any person\n")
		lines = append(lines, dir)
	}
	// A corpus order other than the name order: the merged card must follow it.
	slices.Reverse(lines)
	lines[0], lines[len(lines)/2] = lines[len(lines)/2], lines[0]
	sourcesFile = filepath.Join(root, "corpus.txt")
	write(sourcesFile, "# the corpus\n"+strings.Join(lines, "\n")+"\n")
	return sourcesFile, pythonPath
}

func mustQ4C(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runQ4C(t, args...)
	if code != 0 {
		t.Fatalf("q4c %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// docsUsedFor returns, per record id, the APIs whose documentation went into the record's prompts.
func docsUsedFor(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range []string{dataset.PairsFile, dataset.RejectedFile} {
		for _, r := range readRecords(t, filepath.Join(dir, name)) {
			var used []string
			for _, u := range r["docs_used"].([]any) {
				used = append(used, u.(string))
			}
			out[r["id"].(string)] = used
		}
	}
	return out
}

// TestShardsPlusMergeEqualOneRun is issue 5's promise: N shard processes after the popularity pass,
// then q4c merge, give the dataset one run over the corpus gives.
func TestShardsPlusMergeEqualOneRun(t *testing.T) {
	const shards = 3
	sourcesFile, pythonPath := corpus(t, 9)
	work := t.TempDir()
	// Every repository holds the same clamp: one run keeps the first repository's copy only, each shard
	// its own first, and the merge leaves out the copies a single run would have left out. The
	// repositories' other functions are near copies of each other (numbered names): the first pass
	// plans their clusters over the whole corpus and every shard applies the plan, so a shard leaves
	// out a near copy whose representative another shard holds, naming it as one run does.
	common := []string{"--sources-file", sourcesFile, "--python-path", pythonPath, "--llm", "offline"}

	single := filepath.Join(work, "single")
	mustQ4C(t, append([]string{"annotate", "--state-dir", filepath.Join(work, "state-single"), "--out", single}, common...)...)

	popularity, plan := filepath.Join(work, "popularity.json"), filepath.Join(work, "plan.json")
	stdout := mustQ4C(t, "popularity", "--sources-file", sourcesFile, "--out", popularity, "--near-duplicate-plan", plan)
	if !strings.Contains(stdout, "9 repositories counted, 0 failed, 28 third-party call sites") {
		t.Errorf("popularity pass says %q", stdout)
	}
	nearDuplicates := excludedAs(t, single, dataset.ReasonNearDuplicate)
	if len(nearDuplicates) == 0 {
		t.Fatal("one run left out no near-duplicate: the corpus does not exercise the plan")
	}
	if want := fmt.Sprintf("near-duplicate plan: %d functions left out as near-duplicates", len(nearDuplicates)); !strings.Contains(stdout, want) {
		t.Errorf("popularity pass says %q, want %q", stdout, want)
	}
	var pf popularityFile
	if err := json.Unmarshal(readFile(t, popularity), &pf); err != nil {
		t.Fatal(err)
	}
	if len(pf.Repositories) != 9 || pf.Repositories[0].CallCounts["tinylib.common"] != 2 {
		t.Fatalf("popularity file: %+v", pf)
	}

	smallest, smallestSize, crossShard := -1, 10, 0
	for i := range shards {
		dir := filepath.Join(work, "shards", fmt.Sprint(i))
		args := append([]string{"annotate", "--shard", fmt.Sprintf("%d/%d", i, shards), "--popularity", popularity,
			"--near-duplicate-plan", plan, "--state-dir", filepath.Join(work, fmt.Sprintf("state-%d", i)), "--out", dir}, common...)
		if i == 1 {
			// The Indexed Job's form: the index from $JOB_COMPLETION_INDEX.
			t.Setenv("JOB_COMPLETION_INDEX", "1")
			args[2] = fmt.Sprintf("auto/%d", shards)
		}
		mustQ4C(t, args...)
		d, err := dataset.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(d.Manifest.Sources); n > 0 && n < smallestSize {
			smallest, smallestSize = i, n
		}
		inShard := map[string]bool{}
		for _, src := range d.Manifest.Sources {
			inShard[src.Name()] = true
		}
		for _, detail := range excludedAs(t, dir, dataset.ReasonNearDuplicate) {
			if representative := strings.Fields(detail)[2]; !inShard[representative[:strings.LastIndex(representative, ":")]] {
				crossShard++
			}
		}
	}
	if crossShard == 0 {
		t.Error("no shard left out a near-duplicate of a function another shard holds: the plan was not exercised")
	}
	merged := filepath.Join(work, "merged")
	// As the merge Job runs it: a pattern q4c expands, and the shard count it must find.
	stdout = mustQ4C(t, "merge", "--out", merged, "--sources-file", sourcesFile, "--expect-shards", fmt.Sprint(shards), filepath.Join(work, "shards", "*"))
	if !strings.Contains(stdout, "9 sources") || !strings.Contains(stdout, " 0 near-duplicates across shards") {
		t.Errorf("merge says %q; the shards should have left out every near-duplicate by the plan", stdout)
	}

	for _, name := range []string{dataset.PairsFile, dataset.RejectedFile, dataset.CardFile, dataset.ManifestFile, dataset.ExcludedFile, dataset.ShardPath("train", 0, 1)} {
		got, want := readFile(t, filepath.Join(merged, name)), readFile(t, filepath.Join(single, name))
		if !bytes.Equal(got, want) {
			t.Errorf("merged %s differs from one run's:\n%s\nwant:\n%s", name, got, want)
		}
	}
	records := docsUsedFor(t, single)
	if len(records) != 20 || len(nearDuplicates) != 8 {
		t.Fatalf("one run wrote %d records and %d near-duplicates, want 2 functions x 9 repositories, one clamp and one summarise (8 near copies left out)",
			len(records), len(nearDuplicates))
	}
	// Popularity mattered: tinylib.common is popular over the corpus (no docs), tinylib.rare is not.
	var rareDocs bool
	for id, used := range records {
		if slices.Contains(used, "tinylib.common") {
			t.Errorf("record %s got tinylib.common's docs in one run over the whole corpus", id)
		}
		rareDocs = rareDocs || slices.Contains(used, "tinylib.rare")
	}
	if !rareDocs {
		t.Fatal("no record got tinylib.rare's documentation: the corpus does not exercise popularity")
	}

	// Control: the smallest shard without the popularity pass judges tinylib.common unpopular, so the
	// first pass is what makes the shards agree with one run.
	if smallest < 0 {
		t.Fatal("every shard is empty")
	}
	alone := filepath.Join(work, "alone")
	mustQ4C(t, append([]string{"annotate", "--shard", fmt.Sprintf("%d/%d", smallest, shards),
		"--state-dir", filepath.Join(work, "state-alone"), "--out", alone}, common...)...)
	var commonDocs bool
	for _, used := range docsUsedFor(t, alone) {
		commonDocs = commonDocs || slices.Contains(used, "tinylib.common")
	}
	if !commonDocs {
		t.Error("a shard annotated without --popularity did not document tinylib.common: the control shows nothing")
	}
}

func TestShardFlagsRefuseMisuse(t *testing.T) {
	sourcesFile, _ := corpus(t, 2)
	work := t.TempDir()
	popularity := filepath.Join(work, "popularity.json")
	mustQ4C(t, "popularity", "--sources-file", sourcesFile, "--out", popularity)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"other parse options", []string{"annotate", "--exclude", "**/vendor/**", "--popularity", popularity, "--sources-file", sourcesFile}, "other parse options"},
		{"popularity with a remote orchestrator", []string{"annotate", "--orchestrator", "127.0.0.1:1", "--popularity", popularity, "--sources-file", sourcesFile}, "q4c popularity --docs"},
		{"missing popularity file", []string{"annotate", "--popularity", filepath.Join(work, "none.json"), "--sources-file", sourcesFile}, "no such file"},
		{"bad shard", []string{"annotate", "--shard", "5/3", "--sources-file", sourcesFile}, "not in 0..2"},
		{"merge without shards", []string{"merge", "--out", filepath.Join(work, "m")}, "arg"},
		{"merge missing a shard", []string{"merge", "--out", filepath.Join(work, "m"), "--expect-shards", "2", filepath.Join(work, "*")}, "--expect-shards is 2"},
		{"merge of a pattern matching nothing", []string{"merge", "--out", filepath.Join(work, "m"), filepath.Join(work, "none-*")}, "matches nothing"},
		{"merge of a non-dataset", []string{"merge", "--out", filepath.Join(work, "m"), work}, "not a dataset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--state-dir", filepath.Join(t.TempDir(), "state"))
			if tc.args[0] == "merge" {
				args = tc.args
			}
			_, stderr, code := runQ4C(t, args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want a failure mentioning %q", code, stderr, tc.want)
			}
		})
	}
}

func TestEmptyShardMergesToNothing(t *testing.T) {
	sourcesFile, _ := corpus(t, 1)
	work := t.TempDir()
	specs, err := readSourcesFile(sourcesFile)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ParseSource(specs[0])
	if err != nil {
		t.Fatal(err)
	}
	// With two shards, the one source's shard is full and the other is empty.
	full := shardOf(src, 2)
	empty := filepath.Join(work, "empty")
	stdout := mustQ4C(t, "annotate", "--shard", fmt.Sprintf("%d/2", 1-full), "--sources-file", sourcesFile, "--state-dir", filepath.Join(work, "s0"), "--out", empty)
	if !strings.Contains(stdout, "holds no source") {
		t.Errorf("empty shard says %q", stdout)
	}
	d, err := dataset.Read(empty)
	if err != nil || len(d.Records) != 0 || len(d.Manifest.Sources) != 0 {
		t.Fatalf("empty shard dataset: %+v, %v", d, err)
	}
	fullDir := filepath.Join(work, "full")
	mustQ4C(t, "annotate", "--shard", fmt.Sprintf("%d/2", full), "--sources-file", sourcesFile, "--state-dir", filepath.Join(work, "s1"), "--out", fullDir)
	merged := filepath.Join(work, "merged")
	mustQ4C(t, "merge", "--out", merged, empty, fullDir)
	for _, name := range []string{dataset.PairsFile, dataset.CardFile, dataset.ManifestFile} {
		if !bytes.Equal(readFile(t, filepath.Join(merged, name)), readFile(t, filepath.Join(fullDir, name))) {
			t.Errorf("merging an empty shard changed %s", name)
		}
	}
}

// TestPopularitySeedsARunningDocsService is the orchestrator-mode design: the first pass records
// the corpus's counts into a deployed docs service, and recording again does not double them.
func TestPopularitySeedsARunningDocsService(t *testing.T) {
	sourcesFile, _ := corpus(t, 6)
	cfg := docsserver.DefaultConfig()
	cfg.DisableInstalled = true
	docs, err := docsserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docs.Close() })
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	docs.Register(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := docsv1.NewDocsServiceClient(conn)

	for range 2 {
		mustQ4C(t, "popularity", "--sources-file", sourcesFile, "--out", filepath.Join(t.TempDir(), "p.json"), "--docs", lis.Addr().String())
		resp, err := client.LookupAPIs(context.Background(), &docsv1.LookupAPIsRequest{Apis: []string{"tinylib.common", "tinylib.rare"}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, info := range resp.GetApis() {
			got[info.GetApi()] = info.GetPopularity().GetCallSites()
		}
		if got["tinylib.common"] != 12 || got["tinylib.rare"] != 1 {
			t.Fatalf("call sites after seeding %v, want tinylib.common 12 (2 in each of 6 repositories), tinylib.rare 1", got)
		}
	}
}

// excludedAs returns the details of the excluded.jsonl entries of dir with the reason.
func excludedAs(t *testing.T, dir, reason string) []string {
	t.Helper()
	d, err := dataset.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range d.Excluded {
		if e.Reason == reason {
			details = append(details, e.Detail)
		}
	}
	return details
}

// TestNearDuplicatePlanRefusesMismatch: a plan made from other sources, other code or other filters
// fails the shard with a message saying so, instead of leaving out the wrong functions.
func TestNearDuplicatePlanRefusesMismatch(t *testing.T) {
	sourcesFile, pythonPath := corpus(t, 3)
	specs, err := readSourcesFile(sourcesFile)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	plan := filepath.Join(work, "plan.json")
	mustQ4C(t, "popularity", "--sources-file", sourcesFile, "--out", filepath.Join(work, "popularity.json"), "--near-duplicate-plan", plan)
	// A plan of the first two sources only.
	partial := filepath.Join(work, "partial.json")
	mustQ4C(t, "popularity", specs[0], specs[1], "--out", filepath.Join(work, "p2.json"), "--near-duplicate-plan", partial)

	annotate := func(t *testing.T, args ...string) (string, int) {
		t.Helper()
		args = append([]string{"annotate", "--llm", "offline", "--python-path", pythonPath,
			"--state-dir", filepath.Join(t.TempDir(), "state"), "--out", filepath.Join(t.TempDir(), "out")}, args...)
		_, stderr, code := runQ4C(t, args...)
		return stderr, code
	}
	t.Run("other filters", func(t *testing.T) {
		stderr, code := annotate(t, "--near-duplicate-plan", plan, "--keep-tests", "--sources-file", sourcesFile)
		if code == 0 || !strings.Contains(stderr, "other parse options or filters") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("source not in the plan", func(t *testing.T) {
		stderr, code := annotate(t, "--near-duplicate-plan", partial, specs[2])
		if code == 0 || !strings.Contains(stderr, "does not list source") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("with keep-near-duplicates", func(t *testing.T) {
		stderr, code := annotate(t, "--near-duplicate-plan", plan, "--keep-near-duplicates", specs[0])
		if code == 0 || !strings.Contains(stderr, "cannot go with --keep-near-duplicates") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("plan of a shard", func(t *testing.T) {
		_, stderr, code := runQ4C(t, "popularity", "--shard", "0/2", "--sources-file", sourcesFile,
			"--out", filepath.Join(t.TempDir(), "p.json"), "--near-duplicate-plan", filepath.Join(t.TempDir(), "plan.json"))
		if code == 0 || !strings.Contains(stderr, "cannot go with --shard") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("code changed since the plan", func(t *testing.T) {
		cores, err := filepath.Glob(filepath.Join(specs[1], "pkg*", "core.py"))
		if err != nil || len(cores) != 1 {
			t.Fatalf("core.py of %s: %v, %v", specs[1], cores, err)
		}
		core := cores[0]
		data := readFile(t, core)
		changed := strings.Replace(string(data), `"spread": high - low`, `"spread": (high - low) / 2`, 1)
		if changed == string(data) {
			t.Fatal("the corpus's summarise changed: update this test")
		}
		if err := os.WriteFile(core, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.WriteFile(core, data, 0o644) })
		stderr, code := annotate(t, "--near-duplicate-plan", plan, specs[1])
		if code == 0 || !strings.Contains(stderr, "was made from other code") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}
