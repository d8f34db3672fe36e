package config

import "flag"

// EnvInt64Var registers an int64 flag storing into p that falls back to envVar.
func EnvInt64Var(fs *flag.FlagSet, p *int64, name, envVar string, def int64, usage string) {
	fs.Int64Var(p, name, def, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}
