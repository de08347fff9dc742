package handler

import (
	"encoding/json"
	"strings"
	"testing"
)

// validJSONSeeds cover every branch of validJSON, valid and not.
var validJSONSeeds = []string{
	`{}`, `[]`, ` { } `, `{"a":1}`, `{"user":"bob"}`, `{"n":41,"room":"lobby"}`,
	`{"a":{"b":[1,2,"c"]},"d":null,"e":true,"f":false}`, `[1,[2,[3,{}]],[]]`, `"x"`, `0`, `-0`,
	`-12.5e+3`, `1E9`, `0.0`, `"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`, "\"\xff\xfe\"", " \t\r\n{}\n",
	``, ` `, `{`, `}`, `[`, `{]`, `[}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`,
	`{"a" 1}`, `{1:2}`, `{"a":1 "b":2}`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `-a`, `tru`,
	`truee`, `nul`, `fals`, `nan`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", `"\`, `{}{}`,
	`{} x`, `[1 2]`, `{"a":[}`, `{"a":{"b":1}`, `[[[]]]]`,
	strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
	strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
	strings.Repeat(`{"a":`, maxJSONDepth) + "{}" + strings.Repeat("}", maxJSONDepth),
}

func TestValidJSON(t *testing.T) {
	for _, s := range validJSONSeeds {
		want := json.Valid([]byte(s))
		if got := validJSON([]byte(s)); got != want {
			t.Errorf("validJSON(%.40q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

// FuzzValidJSON checks validJSON against encoding/json.Valid on any input.
func FuzzValidJSON(f *testing.F) {
	for _, s := range validJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}
