package config

import (
	"errors"
	"os"
	"path/filepath"
)

// StateDir is where query4code keeps state on disk (stores, caches of paid
// work) by default: $XDG_STATE_HOME/query4code/<sub>, else
// ~/.local/state/query4code/<sub>, as the XDG base directory specification
// places state that outlives a process but is not the user's data. It never
// falls back to the working directory: a relative XDG_STATE_HOME is ignored,
// as the specification asks, and without a home directory StateDir fails, so
// the caller asks for an explicit path. An empty sub gives
// .../query4code itself.
func StateDir(sub string) (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil || !filepath.IsAbs(home) {
			return "", errors.New("no state directory: neither XDG_STATE_HOME nor HOME is an absolute path")
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "query4code", sub), nil
}
