package server

import (
	"flag"

	"github.com/query4code/query4code/platform/config"
)

// RegisterFlags registers the parser-specific flags on fs, with cfg's values
// as defaults and Q4C_PARSER_* environment variables as fallbacks.
func RegisterFlags(fs *flag.FlagSet, cfg *Config) {
	env := func(name string) string { return config.EnvName("parser", name) }
	config.EnvStringsVar(fs, &cfg.AllowedRoots, "allowed-roots", env("allowed-roots"), cfg.AllowedRoots,
		"comma-separated `dirs` that local sources must lie in (default: the working directory)")
	config.EnvStringsVar(fs, &cfg.GitAllowedHosts, "git-allowed-hosts", env("git-allowed-hosts"), cfg.GitAllowedHosts,
		"comma-separated `hosts` git sources may be cloned from over https (\"*.example.org\" allows subdomains)")
	config.EnvStringVar(fs, &cfg.GitTempDir, "git-temp-dir", env("git-temp-dir"), cfg.GitTempDir,
		"`dir` for temporary clones (default: the system temp dir)")
	config.EnvIntVar(fs, &cfg.Workers, "workers", env("workers"), cfg.Workers, "files parsed in parallel (0: one per CPU)")
	config.EnvInt64Var(fs, &cfg.AnalysisBudgetBytes, "analysis-budget-bytes", env("analysis-budget-bytes"), cfg.AnalysisBudgetBytes,
		"source `bytes` the analyses running at once may parse; requests beyond wait, then get RESOURCE_EXHAUSTED "+
			"(0: sized from GOMEMLIMIT, the cgroup memory limit or physical memory)")
	config.EnvDurationVar(fs, &cfg.AdmissionWait, "admission-wait", env("admission-wait"), cfg.AdmissionWait,
		"how long a request beyond the analysis budget waits before it is refused")
}
