package decontam

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sample = `def load_config(path, defaults=None):
    """Read a JSON config file and merge it over the defaults."""
    with open(path) as handle:
        data = json.load(handle)
    merged = dict(defaults or {})
    merged.update(data)
    return merged
`

func TestEncodeDecode(t *testing.T) {
	entries := []Entry{Fingerprint(CoSQA, "cosqa-code-1", sample), Fingerprint("mine", "x.py", ""), {Benchmark: "b", ID: "i", Shingles: []uint32{1, 2}}}
	var buf bytes.Buffer
	if err := Encode(&buf, entries); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("decoded %d entries, want %d", len(got), len(entries))
	}
	for i := range entries {
		if got[i].Benchmark != entries[i].Benchmark || got[i].ID != entries[i].ID || len(got[i].Shingles) != len(entries[i].Shingles) ||
			(len(got[i].Shingles) > 0 && !reflect.DeepEqual(got[i].Shingles, entries[i].Shingles)) {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], entries[i])
		}
	}
}

func gz(t *testing.T, raw string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	tests := map[string][]byte{
		"not gzip":          []byte("plain"),
		"wrong magic":       gz(t, "something else"),
		"no count":          gz(t, magic),
		"count past end":    gz(t, magic+"\x05"),
		"string past end":   gz(t, magic+"\x01\x09ab"),
		"shingles past end": gz(t, magic+"\x01\x01a\x01b\x05\x01\x00\x00\x00"),
		"trailing bytes":    gz(t, magic+"\x00junk"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(data)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestReaders(t *testing.T) {
	cosqa, err := ReadCoSQA(strings.NewReader(`{"def b(): pass": 1, "def a(): pass": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cosqa) != 2 || cosqa[0].ID != "cosqa-code-0" || cosqa[1].ID != "cosqa-code-1" || cosqa[0].Benchmark != CoSQA {
		t.Errorf("ReadCoSQA = %+v", cosqa)
	}
	web, err := ReadWebQuery(strings.NewReader(`[{"idx":"w-1","doc":"q","code":"def f(): pass"},{"idx":"w-2","doc":"q2","code":"def f(): pass"},{"idx":"w-3","code":"def g(): pass"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(web) != 2 || web[0].ID != "w-1" || web[1].ID != "w-3" || web[0].Benchmark != WebQueryTest {
		t.Errorf("ReadWebQuery = %+v", web)
	}
	for name, read := range map[string]func() error{
		"cosqa not json":    func() error { _, err := ReadCoSQA(strings.NewReader("[")); return err },
		"webquery not json": func() error { _, err := ReadWebQuery(strings.NewReader("{")); return err },
		"webquery empty":    func() error { _, err := ReadWebQuery(strings.NewReader("[]")); return err },
	} {
		if read() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := EncodeFiles(&bytes.Buffer{}, filepath.Join(t.TempDir(), "missing"), "x"); err == nil {
		t.Error("EncodeFiles(missing) gave no error")
	}
}

func TestMatch(t *testing.T) {
	ix, err := NewIndex([]Entry{
		Fingerprint("eval", "load", sample),
		Fingerprint("eval", "tiny", "def get(self): return self.x"),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	firstHalf := strings.Join(strings.Split(sample, "\n")[:4], "\n")
	tests := []struct {
		name string
		code string
		want string // matched id, "" for none
	}{
		{"same", sample, "load"},
		{"flattened", strings.Join(strings.Fields(sample), " "), "load"},
		{"truncated candidate", firstHalf, "load"},
		{"candidate longer than the evaluation copy", sample + "    log(merged)\n    audit(path, merged)\n", "load"},
		{"tiny function inside a larger one does not match", "def run(self):\n    value = self.get()\n    def get(self): return self.x\n    for item in value:\n        print(item, value, self.name)\n    return value\n", ""},
		{"unrelated", "def area(r):\n    import math\n    return math.pi * r * r + offset(r) - correction(r, 2)\n", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := ix.Match(tc.code)
			if ok != (tc.want != "") || m.ID != tc.want {
				t.Errorf("Match = %+v, %v; want %q", m, ok, tc.want)
			}
			if ok && (m.Benchmark != "eval" || m.Containment < DefaultContainment) {
				t.Errorf("match %+v", m)
			}
		})
	}
	for _, c := range []float64{-0.1, 1.5} {
		if _, err := NewIndex(nil, c); err == nil {
			t.Errorf("containment %v accepted", c)
		}
	}
}

func TestAddPath(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"held_out.py": "import json\n\n" + sample,
		"snippet.js":  "function total(items) { let sum = 0; for (const item of items) { sum += item.price * item.count; } return sum; }",
		"blob.bin":    "\x00\x01" + sample,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := NewIndex(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.AddPath("my-eval", dir); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 2 {
		t.Errorf("indexed %d entries, want 2 (one def, one file; the binary skipped)", ix.Len())
	}
	m, ok := ix.Match(sample)
	if !ok || m.Benchmark != "my-eval" || m.ID != filepath.Join(dir, "held_out.py")+":3 load_config" {
		t.Errorf("Match(def) = %+v, %v", m, ok)
	}
	js := "function total(items) {\n  let sum = 0;\n  for (const item of items) {\n    sum += item.price * item.count;\n  }\n  return sum;\n}\n"
	if m, ok := ix.Match(js); !ok || m.ID != filepath.Join(dir, "snippet.js") {
		t.Errorf("Match(js) = %+v, %v", m, ok)
	}
	if err := ix.AddPath("x", filepath.Join(dir, "missing")); err == nil {
		t.Error("AddPath(missing) gave no error")
	}
}

func TestBuiltin(t *testing.T) {
	ix, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// 6,267 CoSQA functions and WebQueryTest's 803 distinct ones.
	if ix.Len() != 6267+803 {
		t.Errorf("built-in index holds %d functions", ix.Len())
	}
}
