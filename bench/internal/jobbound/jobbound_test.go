package jobbound

import (
	"context"
	"testing"
	"time"

	"github.com/query4code/query4code/services/parser/analysis"
)

func TestLowerBound(t *testing.T) {
	tests := []struct {
		name        string
		path, calls int
		latency     time.Duration
		concurrency int
		want        time.Duration
	}{
		// Serial: all 30 calls one after the other.
		{"serial", 8, 30, 10 * time.Millisecond, 1, 300 * time.Millisecond},
		// Wide: the path (8+2) x 10ms = 100ms beats 30 x 10ms / 16 = 18.75ms.
		{"path bound", 8, 30, 10 * time.Millisecond, 16, 100 * time.Millisecond},
		// Work bound: 300 x 10ms / 4 = 750ms beats (8+2) x 10ms.
		{"work bound", 8, 300, 10 * time.Millisecond, 4, 750 * time.Millisecond},
		{"no latency", 8, 30, 0, 4, 0},
	}
	for _, tt := range tests {
		got, err := LowerBound(tt.path, tt.calls, tt.latency, tt.concurrency)
		if err != nil || got != tt.want {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := LowerBound(1, 1, time.Millisecond, 0); err == nil {
		t.Error("concurrency 0 accepted")
	}
}

// TestWriteHasTheShape checks with the parser that the synthetic
// repository has the functions and the levels the bound assumes.
func TestWriteHasTheShape(t *testing.T) {
	s := Shape{Depth: 6, Width: 5}
	dir := t.TempDir()
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Analyze(context.Background(), analysis.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Functions) != s.Functions() {
		t.Fatalf("%d functions, want %d", len(res.Functions), s.Functions())
	}
	maxLevel := 0
	for _, f := range res.Functions {
		maxLevel = max(maxLevel, f.Level)
		if f.ID == "synth.fan.hub" && len(f.Callees) != s.Width {
			t.Errorf("hub calls %d leaves, want %d", len(f.Callees), s.Width)
		}
	}
	// Levels count edges: a chain of Depth functions has top level Depth-1.
	if maxLevel+1 != s.CriticalPath() {
		t.Errorf("longest chain %d functions, want %d", maxLevel+1, s.CriticalPath())
	}
	if s.Calls() != 36 {
		t.Errorf("calls %d, want 36", s.Calls())
	}
	if err := Write(dir, Shape{}); err == nil {
		t.Error("empty shape accepted")
	}
}
