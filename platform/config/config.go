// Package config registers command-line flags that fall back to environment
// variables: a flag given on the command line wins over its variable, and the
// variable wins over the default.
//
// A variable's value is applied when the flag is registered, by setting the
// flag's value (not by marking it as set), so a later command-line value still
// overrides it and the help output shows the effective default. An unparsable
// variable is reported by Parse, unless the flag was given on the command line.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// EnvName returns the conventional variable name for a service's flag:
// EnvName("parser", "metrics-addr") is "Q4C_PARSER_METRICS_ADDR". An empty
// service gives the project-wide form, e.g. "Q4C_AUTH_TOKEN".
func EnvName(service, flagName string) string {
	parts := []string{"Q4C"}
	if service != "" {
		parts = append(parts, service)
	}
	parts = append(parts, flagName)
	name := strings.ToUpper(strings.Join(parts, "_"))
	return strings.Map(func(r rune) rune {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// EnvString registers a string flag that falls back to envVar.
func EnvString(fs *flag.FlagSet, name, envVar, def, usage string) *string {
	p := new(string)
	EnvStringVar(fs, p, name, envVar, def, usage)
	return p
}

// EnvStringVar is EnvString storing into p.
func EnvStringVar(fs *flag.FlagSet, p *string, name, envVar, def, usage string) {
	fs.StringVar(p, name, def, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}

// EnvBool registers a bool flag that falls back to envVar (strconv.ParseBool syntax).
func EnvBool(fs *flag.FlagSet, name, envVar string, def bool, usage string) *bool {
	p := new(bool)
	EnvBoolVar(fs, p, name, envVar, def, usage)
	return p
}

// EnvBoolVar is EnvBool storing into p.
func EnvBoolVar(fs *flag.FlagSet, p *bool, name, envVar string, def bool, usage string) {
	fs.BoolVar(p, name, def, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}

// EnvInt registers an int flag that falls back to envVar.
func EnvInt(fs *flag.FlagSet, name, envVar string, def int, usage string) *int {
	p := new(int)
	EnvIntVar(fs, p, name, envVar, def, usage)
	return p
}

// EnvIntVar is EnvInt storing into p.
func EnvIntVar(fs *flag.FlagSet, p *int, name, envVar string, def int, usage string) {
	fs.IntVar(p, name, def, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}

// EnvFloat64 registers a float64 flag that falls back to envVar.
func EnvFloat64(fs *flag.FlagSet, name, envVar string, def float64, usage string) *float64 {
	p := new(float64)
	EnvFloat64Var(fs, p, name, envVar, def, usage)
	return p
}

// EnvFloat64Var is EnvFloat64 storing into p.
func EnvFloat64Var(fs *flag.FlagSet, p *float64, name, envVar string, def float64, usage string) {
	fs.Float64Var(p, name, def, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}

// EnvDuration registers a time.Duration flag that falls back to envVar
// (time.ParseDuration syntax, e.g. "10s").
func EnvDuration(fs *flag.FlagSet, name, envVar string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	EnvDurationVar(fs, p, name, envVar, def, usage)
	return p
}

// EnvDurationVar is EnvDuration storing into p.
func EnvDurationVar(fs *flag.FlagSet, p *time.Duration, name, envVar string, def time.Duration, usage string) {
	fs.DurationVar(p, name, def, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}

// EnvStringsVar registers a comma-separated list flag that falls back to
// envVar. Items are trimmed and empty items dropped; the last occurrence of the
// flag on the command line wins (values are not accumulated).
func EnvStringsVar(fs *flag.FlagSet, p *[]string, name, envVar string, def []string, usage string) {
	*p = append([]string(nil), def...)
	EnvVar(fs, (*stringList)(p), name, envVar, usage)
}

// SplitList splits a comma-separated list, trimming items and dropping empty ones.
func SplitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

type stringList []string

func (l *stringList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *stringList) Set(s string) error {
	*l = SplitList(s)
	return nil
}

func (l *stringList) Get() any { return []string(*l) }

// EnvVar registers an arbitrary flag.Value that falls back to envVar. The
// value's current content is the default.
func EnvVar(fs *flag.FlagSet, value flag.Value, name, envVar, usage string) {
	fs.Var(value, name, withEnv(usage, envVar))
	applyEnv(fs, name, envVar)
}

// Parse parses args into fs and then reports any environment variable that
// could not be parsed for a flag that was not given on the command line.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if bad, ok := f.Value.(*invalidEnv); ok && bad.err != nil {
			errs = append(errs, fmt.Errorf("flag -%s: environment variable %s=%q: %w", f.Name, bad.envVar, bad.raw, bad.err))
		}
	})
	return errors.Join(errs...)
}

func withEnv(usage, envVar string) string {
	if envVar == "" {
		return usage
	}
	return usage + " (env " + envVar + ")"
}

// applyEnv copies envVar into the just-registered flag, if the variable is set.
func applyEnv(fs *flag.FlagSet, name, envVar string) {
	if envVar == "" {
		return
	}
	raw, ok := os.LookupEnv(envVar)
	if !ok {
		return
	}
	f := fs.Lookup(name)
	if f == nil {
		return
	}
	if err := f.Value.Set(raw); err != nil {
		// Restore the default (flag's Set clobbers the value even when it
		// fails) and remember the error for Parse; a command-line value clears
		// it because it makes the variable irrelevant.
		_ = f.Value.Set(f.DefValue)
		f.Value = &invalidEnv{Value: f.Value, envVar: envVar, raw: raw, err: err}
		return
	}
	f.DefValue = f.Value.String()
}

// invalidEnv wraps a flag whose environment variable did not parse.
type invalidEnv struct {
	flag.Value
	envVar string
	raw    string
	err    error
}

func (v *invalidEnv) String() string {
	// flag.PrintDefaults calls String on a zero value of this type.
	if v == nil || v.Value == nil {
		return ""
	}
	return v.Value.String()
}

func (v *invalidEnv) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		return err
	}
	v.err = nil
	return nil
}

// IsBoolFlag keeps "-flag" without a value working for wrapped bool flags.
func (v *invalidEnv) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Get implements flag.Getter when the wrapped value does.
func (v *invalidEnv) Get() any {
	if g, ok := v.Value.(flag.Getter); ok {
		return g.Get()
	}
	return v.Value.String()
}

// DefaultMaxMsgBytes is the largest gRPC message servers accept and send and
// clients send and accept unless configured otherwise: 16 MiB, room for a
// large function's code plus its context, well under memory limits.
const DefaultMaxMsgBytes = 16 << 20
