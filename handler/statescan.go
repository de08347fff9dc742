package handler

import (
	"encoding/json"
	"unicode/utf8"
)

// lookupMember returns the value of the top-level member key of doc, a JSON object that
// json.Valid accepted, without decoding the rest. Like encoding/json, the last of
// duplicate members wins and keys compare after unescaping.
func lookupMember(doc []byte, key string) (json.RawMessage, bool) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, false
	}
	i++
	var (
		found json.RawMessage
		ok    bool
	)
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) || doc[i] != '"' {
			return found, ok // '}' of an empty object
		}
		ks := i
		ke, plain := skipString(doc, i)
		var match bool
		if plain {
			match = string(doc[ks+1:ke-1]) == key
		} else {
			var k string
			match = json.Unmarshal(doc[ks:ke], &k) == nil && k == key
		}
		i = skipSpace(doc, ke) + 1 // ':'
		i = skipSpace(doc, i)
		ve := skipValue(doc, i)
		if match {
			found, ok = doc[i:ve:ve], true
		}
		i = skipSpace(doc, ve)
		if i >= len(doc) || doc[i] != ',' {
			return found, ok
		}
		i++
	}
}

// members returns the top-level members of doc (a JSON object that json.Valid accepted,
// or nil) as a map whose values alias doc. The last of duplicate members wins.
func members(doc []byte) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return m
	}
	i++
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) || doc[i] != '"' {
			return m
		}
		ks := i
		ke, plain := skipString(doc, i)
		var k string
		if plain {
			k = string(doc[ks+1 : ke-1])
		} else if json.Unmarshal(doc[ks:ke], &k) != nil {
			return m
		}
		i = skipSpace(doc, ke) + 1
		i = skipSpace(doc, i)
		ve := skipValue(doc, i)
		m[k] = doc[i:ve:ve]
		i = skipSpace(doc, ve)
		if i >= len(doc) || doc[i] != ',' {
			return m
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"', and whether its
// content is plain ASCII without escapes (so it compares byte for byte).
func skipString(b []byte, i int) (end int, plain bool) {
	plain = true
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, plain
		case c == '\\':
			plain = false
			i++
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return len(b), false
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		end, _ := skipString(b, i)
		return end
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i, _ = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
