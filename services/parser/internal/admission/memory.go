package admission

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
)

// PeakBytesPerSourceByte is what an analysis holds at its peak per byte of
// source it parses, with some room: the standard library needs about half,
// with its test suite (dense with calls) a little less than this
// (docs/BENCHMARKS.md has the measured figures).
const PeakBytesPerSourceByte = 48

// Shares of memory the default budget gives to analyses. A limit set for
// the process (GOMEMLIMIT, a container's cgroup) is its own: half goes to
// analyses, the rest to results being streamed, buffers and the runtime.
// Without one, the machine is shared with whatever else runs there, so
// analyses take a thirty-second of physical memory (768 MiB of 24 GiB), at
// most maxUnlimitedMemory: on a large machine, an operator who wants more
// says so with GOMEMLIMIT or the budget flag.
const (
	limitShare         = 2
	physicalShare      = 32
	maxUnlimitedMemory = 1 << 30
)

// fallbackMemory is assumed when no limit and no physical memory size can
// be read (not Linux).
const fallbackMemory = 8 << 30

// Limit is the memory a process may use and where that figure came from.
type Limit struct {
	Bytes  int64
	Source string // "GOMEMLIMIT", "cgroup", "physical memory" or "assumed"
}

// MemoryLimit returns the memory this process may use: GOMEMLIMIT when
// set, else the cgroup's memory limit, else physical memory.
func MemoryLimit() Limit {
	if b := goMemLimit(); b > 0 {
		return Limit{b, "GOMEMLIMIT"}
	}
	physical := physicalMemory()
	if b := cgroupLimit(); b > 0 && (physical == 0 || b < physical) {
		return Limit{b, "cgroup"}
	}
	if physical > 0 {
		return Limit{physical, "physical memory"}
	}
	return Limit{fallbackMemory, "assumed"}
}

// DefaultBudget returns the source bytes analyses may have in flight
// given the memory limit l.
func DefaultBudget(l Limit) int64 {
	memory := l.Bytes / limitShare
	if l.Source == "physical memory" || l.Source == "assumed" {
		memory = min(l.Bytes/physicalShare, maxUnlimitedMemory)
	}
	return max(memory/PeakBytesPerSourceByte, 1<<20)
}

// goMemLimit is the runtime's soft memory limit, 0 when unset.
func goMemLimit() int64 {
	s := []metrics.Sample{{Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	v := s[0].Value.Uint64()
	if v >= math.MaxInt64 {
		return 0
	}
	return int64(v)
}

// cgroupLimit reads cgroup v2's memory.max or v1's limit_in_bytes; 0 when
// there is none. "max" and v1's near-MaxInt64 mean unlimited.
func cgroupLimit() int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		if err != nil || v <= 0 || v >= math.MaxInt64/2 {
			return 0
		}
		return v
	}
	return 0
}

// physicalMemory reads MemTotal from /proc/meminfo; 0 when it cannot.
func physicalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
