package cache

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// clock is a settable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func open(t *testing.T, path string, c *clock, ttl time.Duration) *Cache {
	t.Helper()
	cache, err := Open(path, Options{TTL: ttl, NegativeTTL: time.Hour, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return cache
}

func closeCache(t *testing.T, c *Cache) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

func TestHitsSurviveRestartAndVersionsAreSeparate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs.db")
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	doc := apidoc.Doc{
		Kind: apidoc.KindFunction, Signature: "def get(url, params=None, **kwargs)", Docstring: "Sends a GET request.",
		Source: apidoc.SourceInstalled, Location: "/x/requests/api.py", Line: 64, Package: "requests",
		Distribution: "requests", Version: "2.28.1", Truncated: true,
	}
	cache := open(t, path, c, 0)
	if err := cache.Put(Key{"requests.get", "2.28.1"}, Entry{Found: true, Doc: doc}); err != nil {
		t.Fatal(err)
	}
	if err := cache.Close(); err != nil {
		t.Fatal(err)
	}

	cache = open(t, path, c, 0)
	defer closeCache(t, cache)
	got, ok, err := cache.Get(Key{"requests.get", "2.28.1"})
	if err != nil || !ok {
		t.Fatalf("Get after restart = %v, %v", ok, err)
	}
	doc.API = "requests.get"
	if !got.Found || got.Doc != doc || !got.StoredAt.Equal(c.now) {
		t.Errorf("entry after restart = %+v, want %+v stored at %v", got, doc, c.now)
	}
	if _, ok, _ := cache.Get(Key{"requests.get", "2.31.0"}); ok {
		t.Error("a different package version hit the cache")
	}
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name  string
		ttl   time.Duration
		found bool
		age   time.Duration
		fresh bool
	}{
		{"positive without ttl never expires", 0, true, 10000 * time.Hour, true},
		{"positive within ttl", 2 * time.Hour, true, 2*time.Hour - time.Second, true},
		{"positive at ttl", 2 * time.Hour, true, 2 * time.Hour, false},
		{"negative within its shorter ttl", 0, false, 59 * time.Minute, true},
		{"negative at its ttl", 0, false, time.Hour, false},
		{"negative ttl also bounds when positive ttl is long", 48 * time.Hour, false, 2 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{now: time.Unix(1_700_000_000, 0)}
			cache := open(t, filepath.Join(t.TempDir(), "docs.db"), c, tt.ttl)
			defer closeCache(t, cache)
			e := Entry{Found: tt.found, Reason: "no provider documents it"}
			if tt.found {
				e.Doc = apidoc.Doc{Source: apidoc.SourceWeb, Docstring: "d"}
			}
			if err := cache.Put(Key{"pkg.f", ""}, e); err != nil {
				t.Fatal(err)
			}
			c.now = c.now.Add(tt.age)
			got, ok, err := cache.Get(Key{"pkg.f", ""})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.fresh {
				t.Fatalf("fresh = %v, want %v", ok, tt.fresh)
			}
			if ok && (got.Found != tt.found || got.Reason != e.Reason) {
				t.Errorf("entry = %+v", got)
			}
		})
	}
}

func TestGetManyAndPutMany(t *testing.T) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	cache := open(t, filepath.Join(t.TempDir(), "docs.db"), c, 0)
	defer closeCache(t, cache)
	keys := []Key{{"a.f", "1"}, {"b.g", ""}}
	entries := []Entry{{Found: true, Doc: apidoc.Doc{Docstring: "é ünïcode"}}, {Found: false, Reason: "not found"}}
	if err := cache.PutMany(keys, entries); err != nil {
		t.Fatal(err)
	}
	if err := cache.PutMany(keys, entries[:1]); err == nil {
		t.Error("PutMany with mismatched lengths succeeded")
	}
	got, found, err := cache.GetMany(append(keys, Key{"c.h", "1"}))
	if err != nil {
		t.Fatal(err)
	}
	if !found[0] || !found[1] || found[2] {
		t.Fatalf("found = %v", found)
	}
	if got[0].Doc.Docstring != "é ünïcode" || got[0].Doc.API != "a.f" || got[1].Found || got[1].Reason != "not found" {
		t.Errorf("entries = %+v", got)
	}
}

func TestDecodeRejectsCorruptEntries(t *testing.T) {
	good := encodeEntry(Entry{Found: true, Doc: apidoc.Doc{Signature: "def f()", Docstring: "doc"}})
	for name, b := range map[string][]byte{
		"empty":         nil,
		"wrong version": append([]byte{9}, good[1:]...),
		"truncated":     good[:len(good)-2],
		"trailing":      append(append([]byte{}, good...), 0),
	} {
		if _, err := decodeEntry(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := decodeEntry(good); err != nil {
		t.Errorf("good entry: %v", err)
	}
}

func TestOpenRequiresPath(t *testing.T) {
	if _, err := Open("", Options{}); err == nil {
		t.Error("Open with an empty path succeeded")
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(Entry{Found: true, Doc: apidoc.Doc{Signature: "def f()", Line: 3}}))
	f.Add([]byte{formatVersion, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to a decodable entry.
		if _, err := decodeEntry(encodeEntry(e)); err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
	})
}
