package config

import (
	"bytes"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvName(t *testing.T) {
	tests := []struct{ service, flag, want string }{
		{"parser", "addr", "Q4C_PARSER_ADDR"},
		{"parser", "metrics-addr", "Q4C_PARSER_METRICS_ADDR"},
		{"", "auth-token", "Q4C_AUTH_TOKEN"},
		{"orchestrator", "store.path", "Q4C_ORCHESTRATOR_STORE_PATH"},
	}
	for _, tc := range tests {
		if got := EnvName(tc.service, tc.flag); got != tc.want {
			t.Errorf("EnvName(%q, %q) = %q, want %q", tc.service, tc.flag, got, tc.want)
		}
	}
}

// TestPrecedence checks command line over environment over default for each
// flag type.
func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		env  string // "" means unset
		args []string
		want string
	}{
		{name: "default", want: "default"},
		{name: "env beats default", env: "from-env", want: "from-env"},
		{name: "flag beats env", env: "from-env", args: []string{"-x", "from-flag"}, want: "from-flag"},
		{name: "flag beats default", args: []string{"-x=from-flag"}, want: "from-flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("Q4C_TEST_X", tc.env)
			}
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			got := EnvString(fs, "x", "Q4C_TEST_X", "default", "x")
			if err := Parse(fs, tc.args); err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("x = %q, want %q", *got, tc.want)
			}
		})
	}
}

func TestTypedFlagsFromEnv(t *testing.T) {
	t.Setenv("Q4C_T_BOOL", "false")
	t.Setenv("Q4C_T_INT", "42")
	t.Setenv("Q4C_T_FLOAT", "2.5")
	t.Setenv("Q4C_T_DUR", "1m30s")
	t.Setenv("Q4C_T_LIST", " a, b ,,c ")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	b := EnvBool(fs, "b", "Q4C_T_BOOL", true, "")
	i := EnvInt(fs, "i", "Q4C_T_INT", 1, "")
	f := EnvFloat64(fs, "f", "Q4C_T_FLOAT", 1, "")
	d := EnvDuration(fs, "d", "Q4C_T_DUR", time.Second, "")
	var list []string
	EnvStringsVar(fs, &list, "l", "Q4C_T_LIST", []string{"z"}, "")
	if err := Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if *b || *i != 42 || *f != 2.5 || *d != 90*time.Second || !slices.Equal(list, []string{"a", "b", "c"}) {
		t.Errorf("got b=%v i=%d f=%g d=%v l=%q", *b, *i, *f, *d, list)
	}
	// The bare bool form on the command line still works and beats the env.
	if err := Parse(fs, []string{"-b", "-l", "x,y"}); err != nil {
		t.Fatal(err)
	}
	if !*b || !slices.Equal(list, []string{"x", "y"}) {
		t.Errorf("after flags: b=%v l=%q, want true [x y]", *b, list)
	}
}

func TestInvalidEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		wantN   int
	}{
		{name: "reported when the flag is absent", wantErr: true, wantN: 7},
		{name: "ignored when the flag is given", args: []string{"-n", "9"}, wantN: 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("Q4C_T_N", "seven")
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			n := EnvInt(fs, "n", "Q4C_T_N", 7, "count")
			err := Parse(fs, tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Parse error = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "Q4C_T_N") || !strings.Contains(err.Error(), "-n")) {
				t.Errorf("error %q should name the flag and the variable", err)
			}
			if *n != tc.wantN {
				t.Errorf("n = %d, want %d", *n, tc.wantN)
			}
		})
	}
}

func TestInvalidBoolEnvKeepsBareFlag(t *testing.T) {
	t.Setenv("Q4C_T_B", "maybe")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	b := EnvBool(fs, "b", "Q4C_T_B", false, "")
	if err := Parse(fs, []string{"-b"}); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !*b {
		t.Error("b = false, want true from the command line")
	}
}

func TestUsageNamesVariableAndEnvDefault(t *testing.T) {
	t.Setenv("Q4C_T_ADDR", ":6000")
	t.Setenv("Q4C_T_BAD", "x")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	EnvString(fs, "addr", "Q4C_T_ADDR", ":5000", "listen address")
	EnvInt(fs, "bad", "Q4C_T_BAD", 3, "a number")
	var out bytes.Buffer
	fs.SetOutput(&out)
	fs.PrintDefaults()
	usage := out.String()
	for _, want := range []string{"(env Q4C_T_ADDR)", `(default ":6000")`, "(env Q4C_T_BAD)"} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage lacks %q:\n%s", want, usage)
		}
	}
	if strings.Contains(usage, "panic") {
		t.Errorf("usage mentions a panic:\n%s", usage)
	}
	fs.SetOutput(io.Discard)
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"a", []string{"a"}},
		{" a ,b,, c", []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		if got := SplitList(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("SplitList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEnvInt64Var(t *testing.T) {
	t.Setenv("Q4C_T_BYTES", "1099511627776")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var n int64
	EnvInt64Var(fs, &n, "bytes", "Q4C_T_BYTES", 1, "")
	if err := Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if n != 1<<40 {
		t.Errorf("bytes = %d, want %d", n, int64(1)<<40)
	}
}
