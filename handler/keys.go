package handler

import (
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
)

// KeySource supplies the access keys that ce-signature is checked against. Keys is called
// once per request and must be safe for concurrent use; return the keys of every service
// instance and both the old and the new key while rotating. An empty result makes every
// signed request fail (the hub fails closed).
type KeySource interface {
	Keys() []string
}

// KeyRing is a [KeySource] the app updates while serving, so rotating an access key needs
// no restart: Set the old and new keys, regenerate the key on the service, then Set only
// the new one. The zero KeyRing holds no key. A KeyRing is safe for concurrent use.
type KeyRing struct {
	keys atomic.Pointer[[]string]
}

// NewKeyRing returns a KeyRing holding keys (empty strings are dropped).
func NewKeyRing(keys ...string) *KeyRing {
	r := new(KeyRing)
	r.Set(keys...)
	return r
}

// Set replaces the keys atomically; requests in flight finish with the keys they read.
// Empty strings are dropped.
func (r *KeyRing) Set(keys ...string) {
	ks := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "" && !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	r.keys.Store(&ks)
}

// Keys returns the current keys. The caller must not modify the slice.
func (r *KeyRing) Keys() []string {
	if p := r.keys.Load(); p != nil {
		return *p
	}
	return nil
}

// LogValue reports how many keys the ring holds, never the keys.
func (r *KeyRing) LogValue() slog.Value {
	return slog.IntValue(len(r.Keys()))
}

var _ KeySource = (*KeyRing)(nil)
var _ slog.LogValuer = (*KeyRing)(nil)

// mergedKeys merges the static connection-string keys with the app's key source.
type mergedKeys struct {
	static []string
	extra  KeySource
}

func (m mergedKeys) Keys() []string {
	if m.extra == nil {
		return m.static
	}
	extra := m.extra.Keys()
	if len(m.static) == 0 {
		return extra
	}
	return append(slices.Clip(m.static), extra...)
}

// normalizeHost lower-cases a host[:port] and strips a trailing dot.
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}
