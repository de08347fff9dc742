package client

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestDialReason(t *testing.T) {
	long := strings.Repeat("é", MaxDialReasonBytes) // 2 bytes each: the cut falls inside one
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", ""},
		{"plain text from http.Error", "Unauthorized: token is expired\n", "Unauthorized: token is expired"},
		{"only spaces", " \r\n\t ", ""},
		{"lines fold into one", "first line\r\n\r\n  second\tline\n", "first line second line"},
		{"control characters", "bad\x00\x1b[31mred\x7f", "bad [31mred"},
		{"terminal escape kept harmless", "\x1b]0;title\x07x", "]0;title x"},
		{"bidi override dropped", "abc\u202edcba", "abcdcba"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"unicode kept", "refusé: 拒否", "refusé: 拒否"},
		{"exactly the limit", strings.Repeat("x", MaxDialReasonBytes), strings.Repeat("x", MaxDialReasonBytes)},
		{"one byte over", strings.Repeat("x", MaxDialReasonBytes+1), strings.Repeat("x", MaxDialReasonBytes-len("…")) + "…"},
		{"cut at a character boundary", long, strings.Repeat("é", (MaxDialReasonBytes-len("…"))/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dialReason([]byte(tt.body)); got != tt.want {
				t.Errorf("dialReason(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestDialErrorText(t *testing.T) {
	base := errDialFixture
	tests := []struct {
		name string
		err  *DialError
		want string
	}{
		{"no response", &DialError{Err: base}, "webpubsub: connect: dial failed"},
		{"status only", &DialError{StatusCode: 503, Err: base}, "webpubsub: connect: HTTP 503: dial failed"},
		{"status and reason", &DialError{StatusCode: 401, Reason: "invalid app token", Err: base}, "webpubsub: connect: HTTP 401: invalid app token: dial failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

var errDialFixture = errors.New("dial failed")

// FuzzDialReason checks that any body becomes one bounded line of valid, printable UTF-8,
// and that sanitising is idempotent.
func FuzzDialReason(f *testing.F) {
	for _, s := range []string{
		"", "Unauthorized: token is expired\n", "a\r\nb", "\x00\x01\xff", "\u202e\u200b",
		strings.Repeat("é", 600), strings.Repeat(" x", 600), "<html>\n<body>Forbidden</body>\n</html>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := dialReason(body)
		if len(got) > MaxDialReasonBytes {
			t.Fatalf("dialReason: %d bytes, limit %d", len(got), MaxDialReasonBytes)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("dialReason = %q: invalid UTF-8", got)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("dialReason = %q: untrimmed or double spaces", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("dialReason = %q: contains %U", got, r)
			}
		}
		if again := dialReason([]byte(got)); again != got {
			t.Fatalf("dialReason not idempotent: %q then %q", got, again)
		}
	})
}
