package service

import "testing"

func TestODataString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"user1", "'user1'"},
		{"", "''"},
		{"o'brien", "'o''brien'"},
		{"''", "''''''"},
		{"a b", "'a b'"},
	}
	for _, tc := range tests {
		if got := ODataString(tc.in); got != tc.want {
			t.Errorf("ODataString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
