// Package split assigns each repository to the train, validation or test
// split by a stable hash of its id, so no repository's functions are in two
// splits (a model evaluated on functions of a repository it was trained on
// scores too well), and a re-run, a resumed job or any shard of a corpus
// assigns the same repository to the same split without coordination.
package split

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Names of the splits, as records and data files carry them.
const (
	Train      = "train"
	Validation = "validation"
	Test       = "test"
)

// Ratios are the shares of repositories in each split; they add up to 1.
type Ratios struct {
	Train, Validation, Test float64
}

// AllTrain is the default: every repository in train.
var AllTrain = Ratios{Train: 1}

// tolerance is how far from 1 the parsed ratios may add up to, so that
// 0.34,0.33,0.33 and 0.333,0.333,0.334 are accepted.
const tolerance = 1e-6

// Parse reads the --splits value "TRAIN,VALIDATION,TEST" (e.g. 0.8,0.1,0.1).
// An empty value is AllTrain.
func Parse(s string) (Ratios, error) {
	if strings.TrimSpace(s) == "" {
		return AllTrain, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return Ratios{}, fmt.Errorf("splits %q: want three ratios TRAIN,VALIDATION,TEST such as 0.8,0.1,0.1, got %d", s, len(parts))
	}
	var v [3]float64
	names := [3]string{Train, Validation, Test}
	sum := 0.0
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Ratios{}, fmt.Errorf("splits %q: %s ratio %q is not a number", s, names[i], strings.TrimSpace(p))
		}
		if f < 0 || f > 1 {
			return Ratios{}, fmt.Errorf("splits %q: %s ratio %v is not between 0 and 1", s, names[i], f)
		}
		v[i] = f
		sum += f
	}
	if math.Abs(sum-1) > tolerance {
		return Ratios{}, fmt.Errorf("splits %q: ratios add up to %v, not 1", s, sum)
	}
	return Ratios{Train: v[0], Validation: v[1], Test: v[2]}, nil
}

// String is the flag form, for the manifest.
func (r Ratios) String() string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return f(r.Train) + "," + f(r.Validation) + "," + f(r.Test)
}

// Names returns the splits with a share above zero, in train, validation,
// test order: the data files and card configs to write.
func (r Ratios) Names() []string {
	var out []string
	for _, s := range []struct {
		name  string
		ratio float64
	}{{Train, r.Train}, {Validation, r.Validation}, {Test, r.Test}} {
		if s.ratio > 0 {
			out = append(out, s.name)
		}
	}
	return out
}

// scpLikeRe matches git's scp-like remote syntax: user@host:path.
var scpLikeRe = regexp.MustCompile(`^[^/@:]+@([^/:]+):(.+)$`)

// NormalizeRepo is the form of a repository id that is hashed: lower-cased,
// without scheme, user information (credentials included), a trailing "/"
// or ".git", so the same repository named by its clone URL, its web URL or
// its SSH remote lands in the same split:
// https://github.com/Pallets/Flask.git, git@github.com:pallets/flask and
// ssh://git@github.com/pallets/flask/ are all github.com/pallets/flask.
// A directory name (a source without a remote) is kept as it is, lower-cased.
func NormalizeRepo(repo string) string {
	r := strings.ToLower(strings.TrimSpace(repo))
	if m := scpLikeRe.FindStringSubmatch(r); m != nil && !strings.Contains(r, "://") {
		r = m[1] + "/" + m[2]
	} else if _, rest, ok := strings.Cut(r, "://"); ok {
		// By hand rather than url.Parse: user information may hold a
		// redaction placeholder, whose brackets url.Parse refuses.
		authority, path, _ := strings.Cut(rest, "/")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			authority = authority[at+1:]
		}
		r = authority + "/" + path
	}
	r = strings.TrimSuffix(r, "/")
	r = strings.TrimSuffix(r, ".git")
	return strings.TrimSuffix(r, "/")
}

// Position is the repository's fixed point in [0, 1): the first 53 bits of
// the SHA-256 of its normalised id.
func Position(repo string) float64 {
	sum := sha256.Sum256([]byte(NormalizeRepo(repo)))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// Assign names the split of a repository (its remote URL, or its directory
// name when it has none, as records carry it in repo): train below
// r.Train, validation below r.Train+r.Validation, test above.
func (r Ratios) Assign(repo string) string { return r.at(Position(repo)) }

// at names the split of position p in [0, 1).
func (r Ratios) at(p float64) string {
	switch {
	case p < r.Train:
		return Train
	case p < r.Train+r.Validation:
		return Validation
	case r.Test > 0:
		return Test
	}
	// Ratios adding up to 1 within tolerance can leave a sliver past the
	// last non-empty split: it belongs to that split.
	names := r.Names()
	if len(names) == 0 {
		return Train
	}
	return names[len(names)-1]
}
