package sysinfo

import (
	"errors"
	"os"
	"runtime"
	"testing"
)

func TestMaxRSSFromTimeV(t *testing.T) {
	out := "\tCommand being timed: \"q4c callgraph x\"\n\tUser time (seconds): 1.20\n\tMaximum resident set size (kbytes): 123456\n\tExit status: 0\n"
	if got, err := MaxRSSFromTimeV(out); err != nil || got != 123456 {
		t.Errorf("got %d, %v; want 123456", got, err)
	}
	if _, err := MaxRSSFromTimeV("nothing here"); !errors.Is(err, ErrNoRSS) {
		t.Errorf("err = %v, want ErrNoRSS", err)
	}
}

func TestPeakRSSOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	kib, err := PeakRSS(os.Getpid())
	if err != nil || kib <= 0 {
		t.Errorf("PeakRSS = %d, %v", kib, err)
	}
	if _, err := PeakRSS(-5); err == nil {
		t.Error("no error for a bad pid")
	}
}

func TestRead(t *testing.T) {
	m := Read()
	if m.CPUs < 1 || m.String() == "" {
		t.Errorf("machine %+v", m)
	}
	if runtime.GOOS == "linux" && m.MemoryKiB <= 0 {
		t.Errorf("no memory read on linux: %+v", m)
	}
}
