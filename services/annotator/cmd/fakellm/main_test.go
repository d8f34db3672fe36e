package main

import (
	"io"
	"strings"
	"testing"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--faults", "429,explode"}, `unknown fault "explode"`},
		{[]string{"--fault-rate", "2"}, "fault rate"},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
		{[]string{"--addr", "256.0.0.1:bad"}, "listen"},
	}
	for _, tt := range tests {
		err := run(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
