package handler

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

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
	raw     string
	format  StateFormat
	max     int
	parsed  bool
	err     error
	doc     []byte                     // the decoded JSON object, validated; nil when empty or bad
	m       map[string]json.RawMessage // built on the first change or enumeration
	changed bool
	enc     string // the encoding of m, valid while encOK
	encOK   bool
}

func newState(raw string, format StateFormat, maxBytes int) State {
	return State{raw: raw, format: format, max: maxBytes}
}

// load decodes the base64 and validates the JSON object once; reading one key then scans
// doc without building a map (the common case: read a key or two per event).
func (s *State) load() {
	if s.parsed {
		return
	}
	s.parsed = true
	doc, err := stateDocument(s.raw)
	if err != nil {
		s.err = err
		return
	}
	s.doc = doc
}

// materialize builds the map that changes and enumeration work on.
func (s *State) materialize() {
	s.load()
	if s.m != nil {
		return
	}
	s.m = members(s.doc)
	if s.format == StateFormatDotNet {
		unwrapDotNet(s.m)
	}
}

// Raw returns the ce-connectionState header as the service sent it.
func (s *State) Raw() string { return s.raw }

// Err returns the error that decoding the incoming state produced, wrapping
// [ErrInvalidState], or nil. A bad state reads as empty; setting a key starts afresh.
func (s *State) Err() error {
	s.load()
	return s.err
}

// Get returns the JSON value stored under key.
func (s *State) Get(key string) (json.RawMessage, bool) {
	s.load()
	if s.m != nil {
		v, ok := s.m[key]
		return v, ok
	}
	v, ok := lookupMember(s.doc, key)
	if ok && s.format == StateFormatDotNet {
		if inner, ok := unwrapDotNetValue(v); ok {
			v = inner
		}
	}
	return v, ok
}

// Keys returns the keys in sorted order.
func (s *State) Keys() []string {
	s.materialize()
	return slices.Sorted(maps.Keys(s.m))
}

// Len returns the number of keys.
func (s *State) Len() int {
	s.materialize()
	return len(s.m)
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
	old, had := s.m[key]
	s.m[key] = raw
	enc, err := encodeState(s.m, s.format)
	if err == nil && s.max > 0 && len(enc) > s.max {
		err = fmt.Errorf("%w: %d bytes encoded, budget %d", ErrStateTooLarge, len(enc), s.max)
	}
	if err != nil {
		if had {
			s.m[key] = old
		} else {
			delete(s.m, key)
		}
		return err
	}
	s.enc, s.encOK = enc, true
	s.changed = true
	return nil
}

// Delete removes key.
func (s *State) Delete(key string) {
	s.materialize()
	if _, ok := s.m[key]; ok {
		delete(s.m, key)
		s.changed, s.encOK = true, false
	}
}

// Clear removes every key; the hub then writes an empty object ("e30=") so the service
// forgets the state.
func (s *State) Clear() {
	s.materialize()
	clear(s.m)
	s.changed, s.encOK = true, false
}

// Changed reports whether Set, Delete or Clear changed the state.
func (s *State) Changed() bool { return s.changed }

// Encode returns the header value for the current state in the hub's format.
func (s *State) Encode() (string, error) {
	s.materialize()
	if !s.encOK {
		enc, err := encodeState(s.m, s.format)
		if err != nil {
			return "", err
		}
		s.enc, s.encOK = enc, true
	}
	return s.enc, nil
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

// EncodeState encodes values as a ce-connectionState header value in the JS SDK's format:
// standard base64 of the JSON object.
func EncodeState(values map[string]any) (string, error) {
	m := make(map[string]json.RawMessage, len(values))
	for k, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("webpubsub: state key %q: %w", k, err)
		}
		m[k] = b
	}
	return encodeState(m, StateFormatJS)
}

// DecodeState decodes a ce-connectionState header value written by the JS SDK (or by
// this package). An empty header is an empty state. Standard, unpadded and URL-safe
// base64 are accepted; anything that is not base64 of a JSON object is an error wrapping
// [ErrInvalidState].
func DecodeState(header string) (map[string]json.RawMessage, error) {
	return decodeState(header, StateFormatJS)
}

func encodeState(m map[string]json.RawMessage, format StateFormat) (string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := make([]byte, 0, 64)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		var err error
		if format == StateFormatDotNet {
			var c []byte
			if c, err = compactJSON(nil, m[k]); err == nil {
				buf = append(buf, '"')
				buf = base64.StdEncoding.AppendEncode(buf, c)
				buf = append(buf, '"')
			}
		} else {
			buf, err = compactJSON(buf, m[k])
		}
		if err != nil {
			return "", fmt.Errorf("%w: key %q: %w", ErrInvalidState, k, err)
		}
	}
	buf = append(buf, '}')
	return base64.StdEncoding.EncodeToString(buf), nil
}

// compactJSON appends v without insignificant space (and no HTML escaping, like
// JSON.stringify).
func compactJSON(dst []byte, v json.RawMessage) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	if err := json.Compact(b, v); err != nil {
		return dst, err
	}
	return b.Bytes(), nil
}

// appendJSONString appends s as a JSON string; plain printable ASCII is copied as is.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			b, _ := json.Marshal(s) // strings always marshal
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

var stateEncodings = []*base64.Encoding{
	base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
}

// stateDocument base64-decodes header and checks that it is one JSON object; an empty
// header is no document.
func stateDocument(header string) ([]byte, error) {
	if header == "" {
		return nil, nil
	}
	var (
		b   []byte
		err error
	)
	for _, enc := range stateEncodings {
		if b, err = enc.DecodeString(header); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %w", ErrInvalidState, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidState)
	}
	if !json.Valid(b) {
		var v map[string]json.RawMessage
		err := json.Unmarshal(b, &v) // for the error text
		return nil, fmt.Errorf("%w: %w", ErrInvalidState, err)
	}
	return b, nil
}

func decodeState(header string, format StateFormat) (map[string]json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	doc, err := stateDocument(header)
	if err != nil || doc == nil {
		return m, err
	}
	if err := json.Unmarshal(doc, &m); err != nil {
		return map[string]json.RawMessage{}, fmt.Errorf("%w: %w", ErrInvalidState, err)
	}
	if format == StateFormatDotNet {
		unwrapDotNet(m)
	}
	return m, nil
}

func unwrapDotNet(m map[string]json.RawMessage) {
	for k, v := range m {
		if inner, ok := unwrapDotNetValue(v); ok {
			m[k] = inner
		}
	}
}

// unwrapDotNetValue returns the JSON held base64-encoded in the JSON string raw.
func unwrapDotNetValue(raw json.RawMessage) (json.RawMessage, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !json.Valid(b) {
		return nil, false
	}
	return b, true
}

// fastDecode decodes the commonest state values (plain strings, small integers) without
// reflection; it reports false when encoding/json must do the work.
func fastDecode(raw json.RawMessage, target any) bool {
	switch p := target.(type) {
	case *string:
		if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return false
		}
		for _, c := range raw[1 : len(raw)-1] {
			if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				return false
			}
		}
		*p = string(raw[1 : len(raw)-1])
		return true
	case *int:
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			return false
		}
		*p = n
		return true
	}
	return false
}
