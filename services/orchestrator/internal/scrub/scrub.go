// Package scrub replaces secrets and personal data in what a dataset writes.
// A dataset whose records carry an API key or a person's address cannot be
// published, and the redaction of prompts (platform/redact) never reaches
// the output: the code, docstring, summary and query are written as parsed
// and generated.
//
// Three kinds of finding, each replaced by a placeholder the dataset card
// documents:
//   - secrets, by platform/redact (the detector the annotator runs on
//     prompts): "[REDACTED:<kind>]", e.g. "[REDACTED:aws_access_key_id]";
//   - email addresses: "[REDACTED:email]";
//   - public IP addresses (IPv4, and IPv6 in 2000::/3): "[REDACTED:ip_address]".
//     Loopback, private, link-local, reserved and unspecified addresses
//     (127.0.0.1, 10.0.0.0/8, 192.168.0.0/16, 0.0.0.0, netmasks such as
//     255.255.255.0, ...) are defaults in code, not
//     anyone's address, and stay, as in BigCode's PII redaction of The Stack.
//
// Running Text on its own output finds nothing more.
package scrub

import (
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"

	"github.com/query4code/query4code/platform/redact"
)

// Kinds this package adds to platform/redact's.
const (
	KindEmail     = "email"
	KindIPAddress = "ip_address"
)

// Placeholder is the text that replaces a finding of kind.
func Placeholder(kind string) string { return "[REDACTED:" + kind + "]" }

// Counts is the number of replacements by kind.
type Counts map[string]int

// Add adds other's counts.
func (c Counts) Add(other Counts) {
	for k, n := range other {
		c[k] += n
	}
}

// Total is the number of replacements of every kind.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Kinds returns the kinds counted, sorted, for the card.
func (c Counts) Kinds() []string { return slices.Sorted(maps.Keys(c)) }

// emailRe is deliberately plain: a local part, "@", a dotted domain whose
// last label is letters. Decorators ("@property") have no local part and
// spaced matrix products ("a @ b") no adjacent text.
var emailRe = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b`)

// dottedRe finds maximal runs of dotted numbers; only runs of exactly four
// parts can be IPv4 addresses, so versions such as 1.2.3.4.5 are left alone.
var dottedRe = regexp.MustCompile(`[0-9]+(?:\.[0-9]+)+`)

// hexColonRe finds maximal runs of hex digits and colons; only runs of
// three colons or more are tried as IPv6 addresses (slices such as x[1::2]
// have two at most).
var hexColonRe = regexp.MustCompile(`[0-9A-Fa-f:]*:[0-9A-Fa-f:]*`)

// globalUnicastV6 is the IPv6 space allocated for public addresses.
var globalUnicastV6 = netip.MustParsePrefix("2000::/3")

// Text replaces secrets, email addresses and public IP addresses in s.
func Text(s string) (string, Counts) {
	counts := Counts{}
	res := redact.Text(s)
	for k, n := range res.ByKind {
		counts[k] += n
	}
	out := res.Text
	out = replaceAddresses(out, dottedRe, counts, func(s string, a netip.Addr) bool {
		return strings.Count(s, ".") == 3 && a.Is4() && isPublic(a)
	})
	if strings.Count(out, ":") >= 3 {
		out = replaceAddresses(out, hexColonRe, counts, func(s string, a netip.Addr) bool {
			return strings.Count(s, ":") >= 3 && a.Is6() && globalUnicastV6.Contains(a) && isPublic(a)
		})
	}
	// Emails last: an address replaced inside one ("a@b.cc8.8.8.8") must not
	// leave a new email for a second pass to find.
	if strings.IndexByte(out, '@') >= 0 {
		out = emailRe.ReplaceAllStringFunc(out, func(string) string {
			counts[KindEmail]++
			return Placeholder(KindEmail)
		})
	}
	return out, counts
}

// reservedV4 (240.0.0.0/4) holds no host, but netmasks such as
// 255.255.255.0 fall in it.
var reservedV4 = netip.MustParsePrefix("240.0.0.0/4")

func isPublic(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate() && !reservedV4.Contains(a)
}

// replaceAddresses replaces each match of re that parses as an address
// public reports true for.
func replaceAddresses(s string, re *regexp.Regexp, counts Counts, public func(string, netip.Addr) bool) string {
	matches := re.FindAllStringIndex(s, -1)
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, end := m[0], m[1]
		if start > 0 && isWordByte(s[start-1]) {
			continue // part of a name or a version: v1.2.3.4, abc1.2.3.4
		}
		addr, err := netip.ParseAddr(s[start:end])
		if err != nil || !public(s[start:end], addr) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(Placeholder(KindIPAddress))
		counts[KindIPAddress]++
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// Record scrubs every free-text field of a record in place (repo, path,
// code, docstring, summary, query, explanation) and adds what it replaced
// to counts.
func Record(rec *orchestratorv1.Record, counts Counts) {
	for _, field := range []*string{&rec.Repo, &rec.Path, &rec.Code, &rec.Docstring, &rec.Summary, &rec.Query, &rec.Explanation} {
		var c Counts
		*field, c = Text(*field)
		counts.Add(c)
	}
}
