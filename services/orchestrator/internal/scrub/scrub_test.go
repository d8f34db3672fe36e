package scrub

import (
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

func TestText(t *testing.T) {
	// kind is the kind counted once, "" for none.
	tests := []struct{ name, in, want, kind string }{
		{"email", `AUTHOR = "Jane Doe <jane.doe@example.org>"`, `AUTHOR = "Jane Doe <[REDACTED:email]>"`, KindEmail},
		{"email in a comment", "# ask bob+dev@mail.example.co.uk\n", "# ask [REDACTED:email]\n", KindEmail},
		{"decorator", "@property\ndef x(self):", "@property\ndef x(self):", ""},
		{"spaced matrix product", "y = a @ b.T", "y = a @ b.T", ""},
		{"public IPv4", `SERVER = "93.184.216.34"`, `SERVER = "[REDACTED:ip_address]"`, KindIPAddress},
		{"IPv4 with port", "connect('8.8.8.8:53')", "connect('[REDACTED:ip_address]:53')", KindIPAddress},
		{"loopback", `host="127.0.0.1"`, `host="127.0.0.1"`, ""},
		{"private", "10.1.2.3 192.168.0.1 172.16.5.4", "10.1.2.3 192.168.0.1 172.16.5.4", ""},
		{"unspecified and netmask", "0.0.0.0 255.255.255.0", "0.0.0.0 255.255.255.0", ""},
		{"version of five parts", `__version__ = "1.2.3.4.5"`, `__version__ = "1.2.3.4.5"`, ""},
		{"version with a v", "tag v1.2.3.4", "tag v1.2.3.4", ""},
		{"not an address", "999.1.1.1", "999.1.1.1", ""},
		{"public IPv6", "addr = '2001:4860:4860::8888'", "addr = '[REDACTED:ip_address]'", KindIPAddress},
		{"IPv6 loopback", "addr = '::1'", "addr = '::1'", ""},
		{"slice", "x[1::2] + y[::3]", "x[1::2] + y[::3]", ""},
		{"time", "at 12:30:45:00", "at 12:30:45:00", ""},
		{"AWS key (platform/redact)", `aws_key = "AKIAIOSFODNN7EXAMPLE"`, `aws_key = "[REDACTED:aws_access_key_id]"`, "aws_access_key_id"},
		{"password (platform/redact)", `password = "hunter2hunter2"`, `password = "[REDACTED:secret_assignment]"`, "secret_assignment"},
		{"nothing", "def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a + b\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, counts := Text(tc.in)
			if got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
			wantTotal := 0
			if tc.kind != "" {
				wantTotal = 1
			}
			if counts.Total() != wantTotal || (tc.kind != "" && counts[tc.kind] != 1) {
				t.Errorf("counts %v, want one %q", counts, tc.kind)
			}
			again, more := Text(got)
			if again != got || more.Total() != 0 {
				t.Errorf("a second pass changed %q to %q (%v)", got, again, more)
			}
		})
	}
}

func TestTextSeveral(t *testing.T) {
	got, counts := Text("a@example.com, b@example.com at 1.1.1.1,8.8.4.4")
	if want := "[REDACTED:email], [REDACTED:email] at [REDACTED:ip_address],[REDACTED:ip_address]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if counts[KindEmail] != 2 || counts[KindIPAddress] != 2 || counts.Total() != 4 {
		t.Errorf("counts %v", counts)
	}
	if kinds := counts.Kinds(); strings.Join(kinds, ",") != "email,ip_address" {
		t.Errorf("Kinds = %v", kinds)
	}
}

func TestRecord(t *testing.T) {
	rec := &orchestratorv1.Record{
		Repo:        "https://deploy:s3cr3tP4ss@git.example.com/team/app.git",
		Path:        "app/config.py",
		Code:        "def connect():\n    return Client(key=\"AKIAIOSFODNN7EXAMPLE\", admin=\"ops@example.com\")\n",
		Docstring:   "Mail ops@example.com when 203.0.113.9 is down.",
		Summary:     "Connects as ops@example.com.",
		Query:       "python client connect 203.0.113.9",
		Explanation: "Uses AKIAIOSFODNN7EXAMPLE.",
		Function:    "connect",
	}
	counts := Counts{}
	Record(rec, counts)
	for _, field := range []string{rec.Repo, rec.Code, rec.Docstring, rec.Summary, rec.Query, rec.Explanation} {
		for _, secret := range []string{"s3cr3tP4ss", "AKIAIOSFODNN7EXAMPLE", "ops@example.com", "203.0.113.9"} {
			if strings.Contains(field, secret) {
				t.Errorf("%q still holds %q", field, secret)
			}
		}
	}
	if rec.Function != "connect" || rec.Path != "app/config.py" {
		t.Errorf("untouched fields changed: %q %q", rec.Function, rec.Path)
	}
	want := Counts{"url_password": 1, "aws_access_key_id": 2, KindEmail: 3, KindIPAddress: 2}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("counts[%s] = %d, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
}

// FuzzText checks that scrubbing never panics and that a second pass finds
// nothing: counts on the card would otherwise depend on how often a record
// was written.
func FuzzText(f *testing.F) {
	for _, seed := range []string{"jane@example.org 8.8.8.8", "2001:db8::1 x[1::2]", `password = "hunter2hunter2"`, "1.2.3.4.5 @decorator"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once, _ := Text(s)
		twice, more := Text(once)
		if twice != once || more.Total() != 0 {
			t.Errorf("second pass on %q: %q (%v)", once, twice, more)
		}
	})
}
