package handler

import (
	"crypto/subtle"
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// sigCacheShards spreads the verified-signature cache over several locks so that many
// cores reading it do not contend on one; sigCacheSize bounds each shard, which is emptied
// when full.
const (
	sigCacheShards = 16
	sigCacheSize   = 1024
)

type sigKey struct{ conn, sig string }

// sigEntry is what the cache holds per connection id: the ce-signature value verified
// for it and the key that verified it.
type sigEntry struct{ sig, key string }

// sigCache remembers which key verified a (connection id, ce-signature) pair. Every event
// of a connection carries the same pair, so the HMAC runs once per connection. A hit is
// honoured only while that key is still configured, so removing a key from a [KeyRing]
// takes effect at once. Entries are keyed by connection id alone (one hash of a short
// string per lookup) and hold the signature, which must be equal for a hit; a connection
// whose signature changes (the service rotated its keys) replaces its entry.
type sigCache struct {
	seed   maphash.Seed
	shards [sigCacheShards]sigShard
}

type sigShard struct {
	mu sync.RWMutex
	m  map[string]sigEntry
	_  [40]byte // keep shards on separate cache lines
}

func newSigCache() *sigCache { return &sigCache{seed: maphash.MakeSeed()} }

func (c *sigCache) shard(conn string) *sigShard {
	return &c.shards[maphash.String(c.seed, conn)%sigCacheShards]
}

func (c *sigCache) lookup(k sigKey) (string, bool) {
	s := c.shard(k.conn)
	s.mu.RLock()
	e, ok := s.m[k.conn]
	s.mu.RUnlock()
	if !ok || e.sig != k.sig {
		return "", false
	}
	return e.key, true
}

func (c *sigCache) store(k sigKey, key string) {
	s := c.shard(k.conn)
	s.mu.Lock()
	if s.m == nil || len(s.m) >= sigCacheSize {
		s.m = make(map[string]sigEntry, 64)
	}
	s.m[k.conn] = sigEntry{k.sig, key}
	s.mu.Unlock()
}

// CheckSignature verifies ce-signature of r against the hub's keys, reading only headers.
// It returns nil when the hub does not check signatures, else nil or an error wrapping
// [ErrInvalidSignature].
func (h *Hub) CheckSignature(r *http.Request) error { return h.checkSignature(r) }

func (h *Hub) checkSignature(r *http.Request) error {
	_, _, err := h.verifySignature(r.Header)
	return err
}

// verifySignature is checkSignature returning the ce-signature and ce-connectionId it
// read (also when the hub does not check signatures), so decoding does not look them up
// again.
func (h *Hub) verifySignature(hd http.Header) (sig, conn string, err error) {
	sig = header(hd, hdrSignature)
	conn = header(hd, hdrConnectionID)
	if h.keys == nil {
		return sig, conn, nil
	}
	if sig == "" {
		return sig, conn, fmt.Errorf("%w: no %s header", ErrInvalidSignature, wire.HeaderSignature)
	}
	keys := h.keys.Keys()
	k := sigKey{conn, sig}
	if key, ok := h.sigs.lookup(k); ok && slices.Contains(keys, key) {
		return sig, conn, nil
	}
	key, ok := matchingKey(sig, conn, keys)
	if !ok {
		return sig, conn, fmt.Errorf("%w: no entry matches a configured key", ErrInvalidSignature)
	}
	h.sigs.store(k, key)
	return sig, conn, nil
}

// matchingKey returns the key under which an entry of header signs conn. Every
// (key, entry) pair is compared in constant time, so timing does not reveal which
// matched.
func matchingKey(header, conn string, keys []string) (string, bool) {
	entries := wire.ParseSignature(header)
	found := -1
	for i, k := range keys {
		want := wire.SignatureValue(k, conn)
		for _, e := range entries {
			if len(e) == len(want) && subtle.ConstantTimeCompare([]byte(strings.ToLower(e)), []byte(want)) == 1 {
				found = i
			}
		}
	}
	if found < 0 {
		return "", false
	}
	return keys[found], true
}
