package config

import (
	"path/filepath"
	"testing"
)

func TestStateDir(t *testing.T) {
	tests := []struct {
		name, xdgState, home, sub string
		want                      string
		wantErr                   bool
	}{
		{name: "XDG_STATE_HOME", xdgState: "/xdg/state", home: "/home/u", sub: "orchestrator", want: "/xdg/state/query4code/orchestrator"},
		{name: "home fallback", home: "/home/u", sub: "orchestrator", want: "/home/u/.local/state/query4code/orchestrator"},
		{name: "relative XDG_STATE_HOME ignored", xdgState: "state", home: "/home/u", want: "/home/u/.local/state/query4code"},
		{name: "no home", xdgState: "", home: "", wantErr: true},
		{name: "relative home", home: "here", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", tc.xdgState)
			t.Setenv("HOME", tc.home)
			got, err := StateDir(tc.sub)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("StateDir = %q, want an error", got)
				}
				return
			}
			if err != nil || got != filepath.FromSlash(tc.want) {
				t.Fatalf("StateDir(%q) = %q, %v; want %q", tc.sub, got, err, tc.want)
			}
		})
	}
}
