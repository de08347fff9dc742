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
