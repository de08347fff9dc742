package odata

import (
	"errors"
	"strings"
	"testing"
)

var (
	anon   = Target{ConnectionID: "c0"}
	user1  = Target{ConnectionID: "c1", UserID: "user1", Groups: []string{"group1", "g2"}}
	user2  = Target{ConnectionID: "c2", UserID: "User2", Groups: []string{"group2"}}
	quoted = Target{ConnectionID: "c3", UserID: "o'neil", Groups: nil}
)

func TestMatch(t *testing.T) {
	tests := []struct {
		filter string
		target Target
		want   bool
	}{
		{"userId eq 'user1'", user1, true},
		{"userId eq 'user1'", user2, false},
		{"userId eq 'user1'", anon, false},
		{"userId eq null", anon, true},
		{"userId eq null", user1, false},
		{"userId ne null", user1, true},
		{"null eq userId", anon, true},
		{"userId ne 'user1'", anon, true},
		{"USERID eq 'user1'", user1, true},
		{"connectionId ne '123'", user1, true},
		{"connectionId eq 'c1'", user1, true},
		{"'group1' in groups", user1, true},
		{"'group1' in groups", user2, false},
		{"'group1' in (groups)", user1, true},
		{"'group1' in groups or 'group2' in groups", user2, true},
		{"userId in ('u1', 'user1') and 'g2' in groups", user1, true},
		{"userId in ('u1','u2')", user1, false},
		{"userId in ('u1', null)", anon, true},
		{"userId eq 'user1' and connectionId ne '123'", user1, true},
		{"userId eq 'user1' and (not ('group1' in groups))", user1, false},
		{"not ('group1' in groups)", user2, true},
		{"not startswith(userId, 'us')", user2, true},
		{"startswith(userId, 'us')", user1, true},
		{"startswith(userId, 'us')", anon, false},
		{"endswith(userId, '1')", user1, true},
		{"contains(userId, 'ser')", user1, true},
		{"contains(userId, 'ser')", anon, false},
		{"length(userId) gt 3", user1, true},
		{"length(userId) le 10 and length(userId) gt 3", user1, true},
		{"length(userId) gt 10 or length(userId) le 3", user1, false},
		{"length(userId) eq null", anon, true},
		{"length(groups) eq 2", user1, true},
		{"length(groups) eq 0", anon, true},
		{"tolower(userId) eq 'user2'", user2, true},
		{"toupper(userId) eq 'USER2'", user2, true},
		{"trim(' a ') eq 'a'", anon, true},
		{"substring(userId, 1) eq 'ser1'", user1, true},
		{"substring(userId, 1, 2) eq 'se'", user1, true},
		{"substring(userId, 99) eq ''", user1, true},
		{"substring(userId, -4, 99) eq 'user1'", user1, true},
		{"concat(userId, 'x') eq 'user1x'", user1, true},
		{"concat(userId, 'x') eq null", anon, true},
		{"indexof(userId, 'r1') eq 3", user1, true},
		{"indexof(userId, 'zz') eq -1", user1, true},
		{"indexof('äbc', 'c') eq 2", anon, true},
		{"length('äbc') eq 3", anon, true},
		{"userId eq 'o''neil'", quoted, true},
		{"true", anon, true},
		{"false", anon, false},
		{"true eq true", anon, true},
		{"(((true)))", anon, true},
		{"userId gt 'a'", user1, true},
		{"userId lt 'a'", anon, false},
		{"1 lt 2", anon, true},
		{"-1 lt +1", anon, true},
		{"2 ge 2 and 2 le 2", anon, true},
		{"true or false and false", anon, true}, // and binds tighter than or
		{"not false and false", anon, false},    // not binds tighter than and
		{"\tuserId\neq 'user1' ", user1, true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := Parse(tt.filter)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.filter, err)
			}
			if got := f.Match(tt.target); got != tt.want {
				t.Errorf("Parse(%q).Match(%+v) = %v, want %v", tt.filter, tt.target, got, tt.want)
			}
			// The canonical form matches the same way.
			g, err := Parse(f.String())
			if err != nil {
				t.Fatalf("Parse(String() = %q) error: %v", f.String(), err)
			}
			if got := g.Match(tt.target); got != tt.want {
				t.Errorf("canonical %q Match = %v, want %v", f.String(), got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		filter  string
		wantPos int    // -1: a type error (no position)
		wantMsg string // substring of Error()
	}{
		// Recorded: the service's exact message for this input.
		{"invalid filter", 14, "Invalid syntax for 'invalid filter': Syntax error at position 14 in 'invalid filter'."},
		{"", 0, "Syntax error at position 0 in ''."},
		{"   ", 3, "position 3"},
		{"userId eq", 9, "position 9"},
		{"userId eq 'a", 12, "position 12"},
		{"userId eq 'a' and", 17, "position 17"},
		{"userId eq 'a' userId", 20, "position 20"},
		{"userId eq 'a' eq 'b'", 16, "position 16"},
		{"(userId eq 'a'", 14, "position 14"},
		{"userId eq 'a')", 14, "position 14"},
		{"userId $ 'a'", 8, "position 8"},
		{"userId eq 'ä' $", 15, "position 15"},
		{"userId eq 12a", 13, "position 13"},
		{"userId eq 99999999999999999999", 30, "position 30"},
		{"bogus(userId)", 5, "position 5"},
		{"startswith(userId)", 18, "position 18"},
		{"startswith(userId, 'a', 'b')", 27, "position 27"},
		{"unknown eq 'a'", 7, "position 7"},
		{"userId in ('a' 'b')", 18, "position 18"},
		{"and", 3, "position 3"},
		{"userId eq 'a' or or", 19, "position 19"},
		{"not length(userId)", -1, "Type 'int', expect 'bool'."},
		{"not length(userId) gt 5", -1, "Type 'int', expect 'bool'."},
		{"userId", -1, "Type 'string', expect 'bool'."},
		{"userId eq 1", -1, "Type 'int', expect 'string'."},
		{"groups eq 'a'", -1, "Type 'collection', expect 'string'."},
		{"'a' in userId", -1, "Type 'string', expect 'collection'."},
		{"1 in groups", -1, "Type 'int', expect 'string'."},
		{"true gt false", -1, "Type 'bool', expect 'int'."},
		{"userId eq 'a' and 1", -1, "Type 'int', expect 'bool'."},
		{"length(1) eq 1", -1, "Type 'int', expect 'string'."},
		{"substring(userId, 'a') eq 'b'", -1, "Type 'string', expect 'int'."},
		{"userId in ('a', 1)", -1, "Type 'int', expect 'string'."},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := Parse(tt.filter)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.filter, f)
			}
			if !errors.Is(err, ErrInvalidFilter) {
				t.Errorf("Parse(%q) error %v does not match ErrInvalidFilter", tt.filter, err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", tt.filter, err)
			}
			if tt.wantPos >= 0 && (se.Type || se.Pos != tt.wantPos) {
				t.Errorf("Parse(%q) error pos = %d (type %v), want %d; %v", tt.filter, se.Pos, se.Type, tt.wantPos, err)
			}
			if tt.wantPos < 0 && !se.Type {
				t.Errorf("Parse(%q) error = %v, want a type error", tt.filter, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.filter, err, tt.wantMsg)
			}
		})
	}
}

func TestKeywordsAreLowerCase(t *testing.T) {
	if _, err := Parse("userId EQ 'a'"); err == nil {
		t.Error("Parse(\"userId EQ 'a'\") succeeded, want a syntax error (keywords are lower case)")
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		filter  string
		wantErr bool
	}{
		{"max clauses", strings.Repeat("userId eq 'a' or ", MaxClauses-1) + "userId eq 'a'", false},
		{"too many clauses", strings.Repeat("userId eq 'a' or ", MaxClauses) + "userId eq 'a'", true},
		{"max depth", strings.Repeat("(", MaxDepth) + "true" + strings.Repeat(")", MaxDepth), false},
		{"too deep", strings.Repeat("(", MaxDepth+1) + "true" + strings.Repeat(")", MaxDepth+1), true},
		{"too deep not", strings.Repeat("not ", MaxDepth+1) + "true", true},
		{"too long", "userId eq '" + strings.Repeat("a", MaxLength) + "'", true},
		{"max length", "userId eq '" + strings.Repeat("a", MaxLength-12) + "'", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.filter)
			if (err != nil) != tt.wantErr {
				t.Errorf("Parse(<%d bytes>) error = %v, wantErr %v", len(tt.filter), err, tt.wantErr)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"userId eq 'user1'", "userId eq 'user1'"},
		{"USERID  eq   'o''neil'", "userId eq 'o''neil'"},
		{"'g' in (groups) or not (userId eq null)", "('g' in groups) or (not (userId eq null))"},
		{"userId in ('a','b') and length(groups) ge +2", "(userId in ('a', 'b')) and (length(groups) ge 2)"},
		{"substring(userId,1,2) eq 'x'", "substring(userId, 1, 2) eq 'x'"},
	}
	for _, tt := range tests {
		f, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := f.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if f.Source() != tt.in {
			t.Errorf("Source() = %q, want %q", f.Source(), tt.in)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"": "''", "a": "'a'", "o'neil": "'o''neil'", "''": "''''''"} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
		f, err := Parse("userId eq " + want)
		if err != nil {
			t.Fatalf("Parse(userId eq %s): %v", want, err)
		}
		if in != "" && !f.Match(Target{UserID: in}) {
			t.Errorf("userId eq %s does not match user %q", want, in)
		}
	}
}
