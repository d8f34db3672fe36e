// Package cache keeps documentation lookups in a bbolt file, keyed by API
// name and package version, so they survive a restart. Misses (an API no
// provider could document) are kept too, for a shorter time, so a corpus
// full of a missing API does not ask the providers again and again.
package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

var bucketDocs = []byte("docs_v1")

// Options tune a Cache; zero values take the defaults.
type Options struct {
	// TTL is how long a found document stays fresh; 0 keeps it until the
	// package version changes (the version is part of the key).
	TTL time.Duration
	// NegativeTTL is how long a miss is remembered (default 24h).
	NegativeTTL time.Duration
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// DefaultNegativeTTL applies when Options.NegativeTTL is 0.
const DefaultNegativeTTL = 24 * time.Hour

// Entry is one cached answer.
type Entry struct {
	// Found is false for a remembered miss; Doc is then empty and Reason
	// says why the providers found nothing.
	Found    bool
	Doc      apidoc.Doc
	Reason   string
	StoredAt time.Time
}

// Key names an entry.
type Key struct {
	API     string
	Version string
}

func (k Key) bytes() []byte {
	b := make([]byte, 0, len(k.API)+1+len(k.Version))
	b = append(b, k.API...)
	b = append(b, 0)
	return append(b, k.Version...)
}

// Cache is safe for concurrent use.
type Cache struct {
	db   *bolt.DB
	opts Options
}

// Open opens (creating if needed) the cache file at path.
func Open(path string, opts Options) (*Cache, error) {
	if path == "" {
		return nil, errors.New("open docs cache: empty path")
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = DefaultNegativeTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open docs cache %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketDocs)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("init docs cache %s: %w", path, err)
	}
	return &Cache{db: db, opts: opts}, nil
}

// Close releases the file.
func (c *Cache) Close() error {
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close docs cache: %w", err)
	}
	return nil
}

// Get returns the fresh entry for key, if any.
func (c *Cache) Get(key Key) (Entry, bool, error) {
	entries, found, err := c.GetMany([]Key{key})
	if err != nil {
		return Entry{}, false, err
	}
	return entries[0], found[0], nil
}

// GetMany looks keys up in one read transaction; found[i] tells whether
// entries[i] holds a fresh entry. A corrupt entry reads as a miss.
func (c *Cache) GetMany(keys []Key) (entries []Entry, found []bool, err error) {
	entries = make([]Entry, len(keys))
	found = make([]bool, len(keys))
	now := c.opts.Now()
	err = c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDocs)
		for i, k := range keys {
			v := b.Get(k.bytes())
			if v == nil {
				continue
			}
			e, err := decodeEntry(v)
			if err != nil || !c.fresh(e, now) {
				continue
			}
			e.Doc.API = k.API
			entries[i], found[i] = e, true
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read docs cache: %w", err)
	}
	return entries, found, nil
}

func (c *Cache) fresh(e Entry, now time.Time) bool {
	ttl := c.opts.TTL
	if !e.Found {
		ttl = c.opts.NegativeTTL
	}
	return ttl <= 0 || now.Sub(e.StoredAt) < ttl
}

// Put stores one entry, stamped with the current time.
func (c *Cache) Put(key Key, e Entry) error { return c.PutMany([]Key{key}, []Entry{e}) }

// PutMany stores entries[i] under keys[i] in one write transaction.
func (c *Cache) PutMany(keys []Key, entries []Entry) error {
	if len(keys) != len(entries) {
		return fmt.Errorf("write docs cache: %d keys for %d entries", len(keys), len(entries))
	}
	if len(keys) == 0 {
		return nil
	}
	now := c.opts.Now()
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDocs)
		for i, k := range keys {
			e := entries[i]
			e.StoredAt = now
			if err := b.Put(k.bytes(), encodeEntry(e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write docs cache: %w", err)
	}
	return nil
}

// The value format is a version byte, then varints and length-prefixed
// strings: cheaper to decode than JSON, which matters for warm batches.
const formatVersion = 1

func encodeEntry(e Entry) []byte {
	d := e.Doc
	b := make([]byte, 0, 64+len(d.Signature)+len(d.Docstring)+len(d.Location)+len(e.Reason))
	b = append(b, formatVersion)
	var flags byte
	if e.Found {
		flags |= 1
	}
	if d.Truncated {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, e.StoredAt.UnixNano())
	b = binary.AppendVarint(b, int64(d.Line))
	for _, s := range []string{string(d.Kind), d.Signature, d.Docstring, string(d.Source), d.Location,
		d.Package, d.Distribution, d.Version, e.Reason} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

var errCorrupt = errors.New("corrupt cache entry")

func decodeEntry(b []byte) (Entry, error) {
	if len(b) < 2 || b[0] != formatVersion {
		return Entry{}, errCorrupt
	}
	var e Entry
	e.Found = b[1]&1 != 0
	e.Doc.Truncated = b[1]&2 != 0
	b = b[2:]
	stored, n := binary.Varint(b)
	if n <= 0 {
		return Entry{}, errCorrupt
	}
	b = b[n:]
	line, n := binary.Varint(b)
	if n <= 0 {
		return Entry{}, errCorrupt
	}
	b = b[n:]
	e.StoredAt = time.Unix(0, stored)
	e.Doc.Line = int(line)
	var kind, source string
	for _, dst := range []*string{&kind, &e.Doc.Signature, &e.Doc.Docstring, &source, &e.Doc.Location,
		&e.Doc.Package, &e.Doc.Distribution, &e.Doc.Version, &e.Reason} {
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return Entry{}, errCorrupt
		}
		*dst = string(b[n : n+int(size)])
		b = b[n+int(size):]
	}
	if len(b) != 0 {
		return Entry{}, errCorrupt
	}
	e.Doc.Kind, e.Doc.Source = apidoc.Kind(kind), apidoc.Source(source)
	return e, nil
}
