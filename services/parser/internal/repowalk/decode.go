package repowalk

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
)

// codingDeclaration is PEP 263's pattern for a coding declaration, which
// must be a comment on the first or second line.
var codingDeclaration = regexp.MustCompile(`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`)

// utf8BOM starts a file Python reads as UTF-8 whatever it declares.
var utf8BOM = []byte("\xef\xbb\xbf")

// Decode returns src as UTF-8, the way Python reads a source file: a UTF-8
// byte order mark is removed; otherwise a PEP 263 declaration on the first
// or second line names the encoding; without one, src must be UTF-8.
// Decoded text keeps its lines: every encoding Python accepts for source
// code is ASCII-compatible, so line breaks (and line numbers) stay put.
func Decode(src []byte) ([]byte, error) {
	if bytes.HasPrefix(src, utf8BOM) {
		return checkUTF8(src[len(utf8BOM):], "UTF-8 (byte order mark)")
	}
	name := DeclaredEncoding(src)
	if name == "" {
		return checkUTF8(src, "UTF-8 (no coding declaration)")
	}
	enc, utf8Like, err := lookupEncoding(name)
	if err != nil {
		return nil, &SkipError{Reason: ReasonUndecodable, Detail: err.Error()}
	}
	if utf8Like {
		return checkUTF8(src, name)
	}
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return nil, &SkipError{Reason: ReasonUndecodable, Detail: fmt.Sprintf("not valid %s: %v", name, err)}
	}
	// x/text decoders replace what the encoding does not define; Python
	// refuses such a file, and so do we.
	if k := bytes.IndexRune(out, utf8.RuneError); k >= 0 {
		return nil, &SkipError{Reason: ReasonUndecodable, Detail: fmt.Sprintf("not valid %s: undefined byte near decoded offset %d", name, k)}
	}
	return out, nil
}

// DeclaredEncoding returns the encoding a PEP 263 declaration names, as
// written, or "". The second line counts only when the first is a comment
// or blank, as in CPython's tokenizer.
func DeclaredEncoding(src []byte) string {
	first, rest, _ := bytes.Cut(src, []byte("\n"))
	if m := codingDeclaration.FindSubmatch(first); m != nil {
		return string(m[1])
	}
	trimmed := bytes.TrimSpace(first)
	if len(trimmed) > 0 && trimmed[0] != '#' {
		return ""
	}
	second, _, _ := bytes.Cut(rest, []byte("\n"))
	if m := codingDeclaration.FindSubmatch(second); m != nil {
		return string(m[1])
	}
	return ""
}

// pythonAliases maps Python codec names (normalised: lower case, '_' as
// '-') to encodings whose IANA name differs or where the IANA registry
// would pick a different table (Python's latin-1 is ISO 8859-1, not
// windows-1252 as the WHATWG labels have it).
var pythonAliases = map[string]encoding.Encoding{
	"latin-1": charmap.ISO8859_1, "latin1": charmap.ISO8859_1, "l1": charmap.ISO8859_1,
	"iso-8859-1": charmap.ISO8859_1, "iso8859-1": charmap.ISO8859_1, "8859": charmap.ISO8859_1,
	"cp1252": charmap.Windows1252, "windows-1252": charmap.Windows1252,
	"cp1251": charmap.Windows1251, "windows-1251": charmap.Windows1251,
	"cp1250": charmap.Windows1250, "windows-1250": charmap.Windows1250,
	"iso-8859-15": charmap.ISO8859_15, "iso8859-15": charmap.ISO8859_15, "latin-9": charmap.ISO8859_15, "latin9": charmap.ISO8859_15,
	"iso-8859-2": charmap.ISO8859_2, "iso8859-2": charmap.ISO8859_2, "latin-2": charmap.ISO8859_2, "latin2": charmap.ISO8859_2,
	"koi8-r": charmap.KOI8R, "koi8-u": charmap.KOI8U,
	"cp437": charmap.CodePage437, "cp850": charmap.CodePage850, "cp866": charmap.CodePage866,
	"mac-roman": charmap.Macintosh, "macroman": charmap.Macintosh,
}

// lookupEncoding finds the encoding Python would use for a declared name.
// utf8Like reports UTF-8 or its ASCII subset, which need no conversion.
func lookupEncoding(declared string) (enc encoding.Encoding, utf8Like bool, err error) {
	name := strings.ReplaceAll(strings.ToLower(declared), "_", "-")
	switch name {
	case "utf-8", "utf8", "utf-8-sig", "ascii", "us-ascii":
		return nil, true, nil
	}
	if e, ok := pythonAliases[name]; ok {
		return e, false, nil
	}
	// IANA names keep their underscores (Shift_JIS); Python's use hyphens.
	for _, n := range []string{declared, name} {
		e, err := ianaindex.IANA.Encoding(n)
		if err != nil || e == nil {
			continue
		}
		if !asciiCompatible(e) {
			// UTF-16 and the like: Python cannot read the declaration
			// itself in them, and lines would not survive decoding.
			return nil, false, fmt.Errorf("coding %q declared is not ASCII-compatible", declared)
		}
		return e, false, nil
	}
	return nil, false, fmt.Errorf("unknown coding %q declared", declared)
}

// asciiProbe holds the characters Python source needs to read the same in
// an encoding as in ASCII: line breaks, the comment sign, names.
const asciiProbe = "# coding: x\n\tdef f(a, b=1):\r\n"

func asciiCompatible(e encoding.Encoding) bool {
	out, err := e.NewDecoder().String(asciiProbe)
	return err == nil && out == asciiProbe
}

func checkUTF8(src []byte, what string) ([]byte, error) {
	if !utf8.Valid(src) {
		return nil, &SkipError{Reason: ReasonUndecodable, Detail: fmt.Sprintf("not valid %s: invalid byte at offset %d", what, firstInvalid(src))}
	}
	return src, nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
