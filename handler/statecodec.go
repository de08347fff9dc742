package handler

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

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
	// Decoding from a copy of the header on the stack (headers of up to 512 bytes) spares
	// DecodeString's heap copy of its input; the decoded document is the one allocation.
	var (
		tmp [512]byte
		src []byte
	)
	if len(header) <= len(tmp) {
		src = tmp[:copy(tmp[:], header)]
	} else {
		src = []byte(header)
	}
	var (
		b   []byte
		err error
	)
	for _, enc := range stateEncodings {
		b = make([]byte, enc.DecodedLen(len(src)))
		var n int
		if n, err = enc.Decode(b, src); err == nil {
			b = b[:n]
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
	if !validJSON(b) {
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
