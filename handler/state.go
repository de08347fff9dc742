package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// HeaderConnectionState is the header that carries the connection state both ways.
const HeaderConnectionState = wire.HeaderConnectionState

// DefaultMaxStateBytes is the default budget of the encoded ce-connectionState header.
const DefaultMaxStateBytes = 4 << 10

// ErrStateKeyNotFound is returned by [StateAs] for a key the state does not hold.
var ErrStateKeyNotFound = errors.New("webpubsub: state key not found")

// StateFormat selects how the hub writes connection state. Both formats are base64 of a
// JSON object; they differ in the values.
type StateFormat int

const (
	// StateFormatJS writes values as raw JSON, like the official JavaScript SDK (the
	// default). Reading also understands .NET-written values (see [StateAs]).
	StateFormatJS StateFormat = iota
	// StateFormatDotNet writes and reads each value as a JSON string holding the base64
	// of the value's JSON, like the current official .NET SDK.
	StateFormatDotNet
)

// String returns "js" or "dotnet".
func (f StateFormat) String() string {
	if f == StateFormatDotNet {
		return "dotnet"
	}
	return "js"
}

// State is the per-connection state carried in ce-connectionState: a set of keys with
// JSON values. Every event exposes the state the service sent; blocking events (connect,
// user events) may change it and the hub writes the full object back when it changed.
// Changes made during notifications are ignored (the service ignores their responses).
// A State is used by one request at a time and is not safe for concurrent use.
type State struct {
	raw string
	doc []byte     // the decoded JSON object, validated; nil when empty or bad
	e   *stateEdit // nil until a change, an enumeration or a bad header
	hub *Hub       // the format and budget; nil: JS format, no budget
}

// The state's format and budget come from its hub, so that every event struct stays
// small (these structs are the one large allocation per request).
func (s *State) dotNet() bool { return s.hub != nil && s.hub.stateFormat == StateFormatDotNet }

func (s *State) format() StateFormat {
	if s.dotNet() {
		return StateFormatDotNet
	}
	return StateFormatJS
}

// budget returns the limit of the encoded state, <= 0 for none.
func (s *State) budget() int {
	if s.hub == nil {
		return 0
	}
	return s.hub.maxState
}

// stateEdit is the part of a State that only changes, enumeration and decoding errors
// need; keeping it out of line keeps every event struct small (one size class less for
// the common event that reads a key or none).
type stateEdit struct {
	err     error
	m       map[string]json.RawMessage // built on the first change or enumeration
	changed bool
	enc     string // the encoding of m, valid while encOK
	encOK   bool
}

func (s *State) edit() *stateEdit {
	if s.e == nil {
		s.e = new(stateEdit)
	}
	return s.e
}

// load decodes the base64 and validates the JSON object once; reading one key then scans
// doc without building a map (the common case: read a key or two per event).
func (s *State) load() {
	// Loaded: a document, a decoding error or the map (built after loading); an empty
	// header has nothing to load.
	if s.doc != nil || s.raw == "" || s.e != nil && (s.e.err != nil || s.e.m != nil) {
		return
	}
	doc, err := stateDocument(s.raw)
	if err != nil {
		s.edit().err = err
		return
	}
	s.doc = doc
}

// materialize builds the map that changes and enumeration work on.
func (s *State) materialize() {
	s.load()
	if s.edit().m != nil {
		return
	}
	s.e.m = members(s.doc)
	if s.dotNet() {
		unwrapDotNet(s.e.m)
	}
}

// Raw returns the ce-connectionState header as the service sent it.
func (s *State) Raw() string { return s.raw }

// Err returns the error that decoding the incoming state produced, wrapping
// [ErrInvalidState], or nil. A bad state reads as empty; setting a key starts afresh.
func (s *State) Err() error {
	s.load()
	if s.e == nil {
		return nil
	}
	return s.e.err
}

// Get returns the JSON value stored under key.
func (s *State) Get(key string) (json.RawMessage, bool) {
	s.load()
	if s.e != nil && s.e.m != nil {
		v, ok := s.e.m[key]
		return v, ok
	}
	v, ok := lookupMember(s.doc, key)
	if ok && s.dotNet() {
		if inner, ok := unwrapDotNetValue(v); ok {
			v = inner
		}
	}
	return v, ok
}

// Keys returns the keys in sorted order.
func (s *State) Keys() []string {
	s.materialize()
	return slices.Sorted(maps.Keys(s.e.m))
}

// Len returns the number of keys.
func (s *State) Len() int {
	s.materialize()
	return len(s.e.m)
}

// Set stores the JSON encoding of v under key. It fails with an error wrapping
// [ErrStateTooLarge] (and changes nothing) when the encoded state would exceed the hub's
// budget, and with the encoding error when v cannot be marshalled.
func (s *State) Set(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("webpubsub: state key %q: %w", key, err)
	}
	return s.set(key, b)
}

// SetRaw stores a copy of the JSON value raw under key; raw must be valid JSON. Errors
// are as for Set.
func (s *State) SetRaw(key string, raw json.RawMessage) error {
	if !json.Valid(raw) {
		return fmt.Errorf("webpubsub: state key %q: value is not valid JSON", key)
	}
	return s.set(key, bytes.Clone(raw))
}

func (s *State) set(key string, raw json.RawMessage) error {
	s.materialize()
	old, had := s.e.m[key]
	s.e.m[key] = raw
	enc, err := encodeState(s.e.m, s.format())
	if max := s.budget(); err == nil && max > 0 && len(enc) > max {
		err = fmt.Errorf("%w: %d bytes encoded, budget %d", ErrStateTooLarge, len(enc), max)
	}
	if err != nil {
		if had {
			s.e.m[key] = old
		} else {
			delete(s.e.m, key)
		}
		return err
	}
	s.e.enc, s.e.encOK = enc, true
	s.e.changed = true
	return nil
}

// Delete removes key.
func (s *State) Delete(key string) {
	s.materialize()
	if _, ok := s.e.m[key]; ok {
		delete(s.e.m, key)
		s.e.changed, s.e.encOK = true, false
	}
}

// Clear removes every key; the hub then writes an empty object ("e30=") so the service
// forgets the state.
func (s *State) Clear() {
	s.materialize()
	clear(s.e.m)
	s.e.changed, s.e.encOK = true, false
}

// Changed reports whether Set, Delete or Clear changed the state.
func (s *State) Changed() bool { return s.e != nil && s.e.changed }

// Encode returns the header value for the current state in the hub's format.
func (s *State) Encode() (string, error) {
	s.materialize()
	if !s.e.encOK {
		enc, err := encodeState(s.e.m, s.format())
		if err != nil {
			return "", err
		}
		s.e.enc, s.e.encOK = enc, true
	}
	return s.e.enc, nil
}

// StateAs decodes the value stored under key into a T. A missing key is
// [ErrStateKeyNotFound]. When the value does not decode into T but is a JSON string
// holding base64 of JSON (the .NET SDK's variant), that JSON is decoded instead.
func StateAs[T any](s *State, key string) (T, error) {
	var v T
	raw, ok := s.Get(key)
	if !ok {
		return v, fmt.Errorf("%w: %q", ErrStateKeyNotFound, key)
	}
	if fastDecode(raw, &v) {
		return v, nil
	}
	err := json.Unmarshal(raw, &v)
	if err == nil {
		return v, nil
	}
	if inner, ok := unwrapDotNetValue(raw); ok {
		var w T
		if json.Unmarshal(inner, &w) == nil {
			return w, nil
		}
	}
	return v, fmt.Errorf("webpubsub: state key %q: %w", key, err)
}
