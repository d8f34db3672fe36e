package server

import (
	"flag"

	"github.com/query4code/query4code/platform/config"
)

// RegisterFlags registers the docs-specific flags on fs, with cfg's values as
// defaults and Q4C_DOCS_* environment variables as fallbacks.
func RegisterFlags(fs *flag.FlagSet, cfg *Config) {
	env := func(name string) string { return config.EnvName("docs", name) }
	config.EnvStringVar(fs, &cfg.PopularityPath, "popularity-db", env("popularity-db"), cfg.PopularityPath,
		"bbolt `file` for corpus call-site counts; empty keeps them in memory")
	config.EnvInt64Var(fs, &cfg.MinCallSites, "min-call-sites", env("min-call-sites"), cfg.MinCallSites,
		"an API with at least this many call sites in the corpus is popular (0 switches the rule off)")
	config.EnvInt64Var(fs, &cfg.MinDownloads, "min-downloads", env("min-downloads"), cfg.MinDownloads,
		"an API whose package has at least this many 30-day downloads is popular (0 switches the rule off)")
	config.EnvStringVar(fs, &cfg.CachePath, "cache-db", env("cache-db"), cfg.CachePath,
		"bbolt `file` for the documentation cache; empty disables the cache")
	config.EnvDurationVar(fs, &cfg.CacheTTL, "cache-ttl", env("cache-ttl"), cfg.CacheTTL,
		"life of a cached document (0: until the package version changes)")
	config.EnvDurationVar(fs, &cfg.NegativeCacheTTL, "negative-cache-ttl", env("negative-cache-ttl"), cfg.NegativeCacheTTL,
		"life of a cached miss (0: 24h)")
	config.EnvBoolVar(fs, &cfg.DisableInstalled, "no-installed", env("no-installed"), cfg.DisableInstalled,
		"do not read documentation from installed Python environments")
	config.EnvStringsVar(fs, &cfg.PythonPaths, "python-path", env("python-path"), cfg.PythonPaths,
		"comma-separated environment `dirs` searched in order (site-packages, dist-packages, vendored code); default: python3's sys.path")
	config.EnvStringsVar(fs, &cfg.Virtualenvs, "virtualenv", env("virtualenv"), cfg.Virtualenvs,
		"comma-separated virtualenv `roots` searched after --python-path")
	config.EnvStringVar(fs, &cfg.Python, "python", env("python"), cfg.Python,
		"interpreter whose sys.path is searched when no --python-path or --virtualenv is given")
	config.EnvBoolVar(fs, &cfg.WebEnabled, "web", env("web"), cfg.WebEnabled,
		"look documentation up on the web (off by default)")
	config.EnvStringVar(fs, &cfg.WebSearchURL, "web-search-url", env("web-search-url"), cfg.WebSearchURL,
		"HTML search endpoint `URL` (default DuckDuckGo's HTML form)")
	config.EnvStringsVar(fs, &cfg.WebAllowedDomains, "web-allow", env("web-allow"), cfg.WebAllowedDomains,
		"comma-separated documentation `domains` whose pages may be read")
	config.EnvDurationVar(fs, &cfg.WebTimeout, "web-timeout", env("web-timeout"), cfg.WebTimeout, "timeout of one web request")
	config.EnvDurationVar(fs, &cfg.WebPerHostInterval, "web-host-interval", env("web-host-interval"), cfg.WebPerHostInterval,
		"minimum time between two requests to one host")
	config.EnvStringsVar(fs, &cfg.AllowedRoots, "allowed-roots", env("allowed-roots"), cfg.AllowedRoots,
		"comma-separated `dirs` a request's repository_path (whose node_modules documents npm APIs) must lie in (default: the working directory)")
	config.EnvIntVar(fs, &cfg.DocBudget, "doc-budget", env("doc-budget"), cfg.DocBudget,
		"default documentation budget per API, in `characters`")
	config.EnvIntVar(fs, &cfg.Concurrency, "concurrency", env("concurrency"), cfg.Concurrency,
		"provider lookups one batch runs at once")
}
