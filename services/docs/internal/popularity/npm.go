package popularity

import "github.com/query4code/query4code/services/docs/internal/apidoc"

// ReasonStandardLibrary: a Node.js built-in module, which every model knows
// and no node_modules documents.
const ReasonStandardLibrary Reason = "standard_library"

// nodeBuiltins are Node.js 20's built-in modules (require("module").builtinModules,
// top-level names; "fs/promises" is under "fs"). The parser writes "node:fs" as "fs".
// Modules that exist only with the prefix (node:test) are left out: "test"
// is also an npm package.
var nodeBuiltins = map[string]bool{
	"assert": true, "async_hooks": true, "buffer": true, "child_process": true, "cluster": true,
	"console": true, "constants": true, "crypto": true, "dgram": true, "diagnostics_channel": true,
	"dns": true, "domain": true, "events": true, "fs": true, "http": true, "http2": true, "https": true,
	"inspector": true, "module": true, "net": true, "os": true, "path": true, "perf_hooks": true,
	"process": true, "punycode": true, "querystring": true, "readline": true, "repl": true,
	"stream": true, "string_decoder": true, "sys": true, "timers": true, "tls": true,
	"trace_events": true, "tty": true, "url": true, "util": true, "v8": true, "vm": true, "wasi": true,
	"worker_threads": true, "zlib": true,
}

// IsNodeBuiltin reports whether an npm API path names a Node.js built-in
// module ("fs.readFile", "fs.promises.readFile"). Scoped names never do.
func IsNodeBuiltin(api string) bool {
	head, _ := apidoc.NPMPackageHead(api)
	return nodeBuiltins[head]
}

// DecideNPM is Decide for an npm API path. Only corpus call sites count:
// the download prior holds PyPI distributions, and an npm package may share
// a Python package's name, so it must not apply. No public npm download
// data set is available offline to build an npm prior from. A Node.js
// built-in is the standard library: popular.
func (t *Tracker) DecideNPM(api string, th *Thresholds) Decision {
	d := t.counted(api, th)
	if IsNodeBuiltin(api) {
		head, _ := apidoc.NPMPackageHead(api)
		d.Popular, d.Reason = true, ReasonStandardLibrary
		d.Explanation = "popular: " + head + " is a Node.js built-in module (standard library)"
		return d
	}
	// The download rule cannot hold without a prior; decide says so in words.
	decide(&d)
	if !d.Popular {
		d.Explanation = "unpopular: " + callSitesClause(&d) + "; no download data for npm packages"
	}
	return d
}
