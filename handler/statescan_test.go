package handler

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzLookupMember checks the scanner against encoding/json on every valid object.
func FuzzLookupMember(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` { "a" : [1,{"b":"}"}] , "c":"\"x" } `, `{"a":1,"a":2}`,
		`{"\u0061":true}`, `{"é":null,"a":-1.5e3}`, `{"k":{"k":{"k":1}},"z":"\\"}`} {
		f.Add([]byte(s), "a")
	}
	f.Fuzz(func(t *testing.T, doc []byte, key string) {
		doc = bytes.TrimSpace(doc)
		if !json.Valid(doc) || len(doc) == 0 || doc[0] != '{' {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatalf("Unmarshal of a valid object: %v", err)
		}
		keys := []string{key}
		for k := range m {
			keys = append(keys, k)
		}
		if all := members(doc); len(all) != len(m) {
			t.Fatalf("members(%s) has %d keys, want %d", doc, len(all), len(m))
		} else {
			for k, v := range m {
				if !bytes.Equal(all[k], v) {
					t.Fatalf("members(%s)[%q] = %s, want %s", doc, k, all[k], v)
				}
			}
		}
		for _, k := range keys {
			want, wantOK := m[k]
			got, ok := lookupMember(doc, k)
			if ok != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("lookupMember(%s, %q) = %s %v, want %s %v", doc, k, got, ok, want, wantOK)
			}
		}
	})
}

// FuzzFastDecode checks the reflection-free path against encoding/json.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{`"abc"`, `""`, `"a\"b"`, `"é"`, `12`, `-7`, `1e3`, `99999999999999999999`, `null`, `"\u0041"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		var s, sWant string
		if fastDecode(json.RawMessage(raw), &s) {
			if err := json.Unmarshal([]byte(raw), &sWant); err != nil || s != sWant {
				t.Fatalf("string %s: fast %q, json %q (%v)", raw, s, sWant, err)
			}
		}
		var n, nWant int
		if fastDecode(json.RawMessage(raw), &n) {
			if err := json.Unmarshal([]byte(raw), &nWant); err != nil || n != nWant {
				t.Fatalf("int %s: fast %d, json %d (%v)", raw, n, nWant, err)
			}
		}
	})
}
