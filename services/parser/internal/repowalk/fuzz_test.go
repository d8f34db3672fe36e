package repowalk

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzDecode: whatever the bytes and the declared coding, Decode returns
// UTF-8 with the same lines, or a skip error; it never panics. The seeds
// (declared codings, a byte order mark, undeclared latin-1) are in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := Decode(src)
		if err != nil {
			if !errors.Is(err, ErrSkip) {
				t.Fatalf("error %v is not a skip", err)
			}
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("Decode returned invalid UTF-8 %q", out)
		}
		if got, want := bytes.Count(out, []byte("\n")), bytes.Count(src, []byte("\n")); got != want {
			t.Fatalf("Decode changed the line count from %d to %d: %q -> %q", want, got, src, out)
		}
	})
}
