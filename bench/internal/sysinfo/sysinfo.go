// Package sysinfo describes the machine a benchmark ran on and reads peak
// memory of processes.
package sysinfo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what a benchmark report says about the hardware.
type Machine struct {
	CPUs      int
	Model     string
	MemoryKiB int64
	OS, Arch  string
}

func (m Machine) String() string {
	return fmt.Sprintf("%d CPUs (%s), %.1f GiB memory, %s/%s", m.CPUs, m.Model, float64(m.MemoryKiB)/(1<<20), m.OS, m.Arch)
}

// Read describes this machine from /proc (Linux); fields it cannot read
// stay empty.
func Read() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Model: "unknown"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		if v, ok := field(f, "model name"); ok {
			m.Model = v
		}
		_ = f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		if v, ok := field(f, "MemTotal"); ok {
			m.MemoryKiB, _ = parseKiB(v)
		}
		_ = f.Close()
	}
	return m
}

// field returns the value of the first "key: value" line with key.
func field(r io.Reader, key string) (string, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// parseKiB reads "12345 kB" or "12345".
func parseKiB(v string) (int64, error) {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
	return strconv.ParseInt(v, 10, 64)
}

// ErrNoRSS: the text holds no maximum resident set size.
var ErrNoRSS = errors.New("no maximum resident set size in the output")

// MaxRSSFromTimeV reads "Maximum resident set size (kbytes): N" from the
// report of GNU time -v.
func MaxRSSFromTimeV(output string) (int64, error) {
	for _, line := range strings.Split(output, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "):")
		if ok && k == "Maximum resident set size (kbytes" {
			return parseKiB(v)
		}
	}
	return 0, ErrNoRSS
}

// PeakRSS reads VmHWM (the peak resident set size) of a running process.
func PeakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("peak RSS of %d: %w", pid, err)
	}
	defer func() { _ = f.Close() }()
	v, ok := field(f, "VmHWM")
	if !ok {
		return 0, fmt.Errorf("peak RSS of %d: %w", pid, ErrNoRSS)
	}
	return parseKiB(v)
}
