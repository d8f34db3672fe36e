package repowalk

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzDecode: whatever the bytes and the declared coding, Decode returns
// UTF-8 with the same lines, or a skip error; it never panics.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"x = 1\n",
		"# -*- coding: latin-1 -*-\ncaf\xe9 = 1\n",
		"#!/usr/bin/env python\n# coding=cp1252\ns = '\x93'\n",
		"# coding: shift_jis\ns = '\x93\xfa'\n",
		"# coding: euc-jp\ns = '\xa4\xa2'\n",
		"\xef\xbb\xbfx = 'bom'\n",
		"# coding: utf-16\nx\n",
		"caf\xe9\n",
	} {
		f.Add([]byte(seed))
	}
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
