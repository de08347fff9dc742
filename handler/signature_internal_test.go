package handler

import (
	"strconv"
	"testing"
)

func TestSigCacheBounded(t *testing.T) {
	c := newSigCache()
	const n = sigCacheShards * sigCacheSize * 3
	for i := range n {
		k := sigKey{conn: "c" + strconv.Itoa(i), sig: "s"}
		c.store(k, "key")
		if got, ok := c.lookup(k); !ok || got != "key" {
			t.Fatalf("entry %d not found right after store", i)
		}
	}
	total := 0
	for i := range c.shards {
		if l := len(c.shards[i].m); l > sigCacheSize {
			t.Fatalf("shard %d holds %d entries, bound %d", i, l, sigCacheSize)
		} else {
			total += l
		}
	}
	if total == 0 || total > sigCacheShards*sigCacheSize {
		t.Fatalf("cache holds %d entries", total)
	}
}

// TestSigCacheSignatureMustMatch checks that a cached connection id is a hit only with the
// signature that was verified, and that a new verified signature replaces the entry.
func TestSigCacheSignatureMustMatch(t *testing.T) {
	c := newSigCache()
	c.store(sigKey{"conn", "sha256=aa"}, "key1")
	for _, tc := range []struct {
		k       sigKey
		wantKey string
		wantOK  bool
	}{
		{sigKey{"conn", "sha256=aa"}, "key1", true},
		{sigKey{"conn", "sha256=bb"}, "", false},
		{sigKey{"conn", ""}, "", false},
		{sigKey{"other", "sha256=aa"}, "", false},
	} {
		if got, ok := c.lookup(tc.k); got != tc.wantKey || ok != tc.wantOK {
			t.Errorf("lookup(%v) = %q, %v; want %q, %v", tc.k, got, ok, tc.wantKey, tc.wantOK)
		}
	}
	c.store(sigKey{"conn", "sha256=bb"}, "key2")
	if got, ok := c.lookup(sigKey{"conn", "sha256=bb"}); !ok || got != "key2" {
		t.Errorf("after replacing: lookup = %q, %v", got, ok)
	}
	if _, ok := c.lookup(sigKey{"conn", "sha256=aa"}); ok {
		t.Error("the replaced signature still hits")
	}
}
