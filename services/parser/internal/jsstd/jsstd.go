// Package jsstd knows JavaScript's standard library: Node's built-in
// modules (`fs`, `node:fs`, `fs/promises`) and the global objects and
// functions every script sees (`console`, `JSON`, `Promise`).
package jsstd

import "strings"

// builtinModules are Node's built-in modules (Node 20), by their first
// path segment.
var builtinModules = set(`assert async_hooks buffer child_process cluster console constants crypto
dgram diagnostics_channel dns domain events fs http http2 https inspector module net os path
perf_hooks process punycode querystring readline repl stream string_decoder sys test timers tls
trace_events tty url util v8 vm wasi worker_threads zlib`)

// globals are the names a module can use without importing them.
var globals = set(`Object Array JSON Math Promise console process Buffer Number String Boolean
Symbol Date RegExp Error TypeError RangeError SyntaxError ReferenceError EvalError URIError
AggregateError Map Set WeakMap WeakSet WeakRef FinalizationRegistry Reflect Proxy BigInt Intl
globalThis global window self document navigator location history localStorage sessionStorage
setTimeout setInterval clearTimeout clearInterval setImmediate clearImmediate queueMicrotask
parseInt parseFloat isNaN isFinite encodeURIComponent decodeURIComponent encodeURI decodeURI
escape unescape eval fetch Request Response Headers FormData Blob File URL URLSearchParams
TextEncoder TextDecoder structuredClone atob btoa Function ArrayBuffer SharedArrayBuffer
Atomics DataView Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array
Uint32Array Float32Array Float64Array BigInt64Array BigUint64Array AbortController AbortSignal
Event EventTarget CustomEvent MessageChannel MessagePort performance crypto WebAssembly
require module exports __dirname __filename arguments alert XMLHttpRequest WebSocket Worker
HTMLElement Element Node NodeList customElements getComputedStyle requestAnimationFrame
cancelAnimationFrame`)

func set(words string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(words) {
		out[w] = true
	}
	return out
}

// IsGlobal reports a global name of JavaScript runtimes (browsers, Node).
func IsGlobal(name string) bool { return globals[name] }

// IsStdlib reports whether a dotted API path (`fs.readFileSync`,
// `node:fs.readFile`) belongs to Node's built-in modules.
func IsStdlib(api string) bool {
	if strings.HasPrefix(api, "node:") {
		return true
	}
	top := api
	if k := strings.IndexAny(api, "./"); k >= 0 {
		top = api[:k]
	}
	return builtinModules[top]
}

// PackagePath turns a bare module specifier into the dotted path its
// calls are named under: 'pkg/sub' -> pkg.sub, '@scope/pkg/sub' ->
// @scope/pkg.sub, 'node:fs/promises' -> fs.promises (the node: scheme
// dropped, a trailing .js extension too). It returns "" for specifiers that
// name no package (relative or absolute paths, URLs).
func PackagePath(spec string) string {
	spec = strings.TrimPrefix(spec, "node:")
	if spec == "" || strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") || strings.Contains(spec, ":") {
		return ""
	}
	parts := strings.Split(spec, "/")
	if strings.HasPrefix(spec, "@") {
		if len(parts) < 2 || parts[1] == "" {
			return ""
		}
		parts = append([]string{parts[0] + "/" + parts[1]}, parts[2:]...)
	}
	if n := len(parts); n > 1 {
		for _, ext := range []string{".js", ".mjs", ".cjs"} {
			parts[n-1] = strings.TrimSuffix(parts[n-1], ext)
		}
	}
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}
