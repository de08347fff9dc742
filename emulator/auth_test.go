package emulator

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

func signed(t testing.TB, key string, claims jwt.MapClaims, method jwt.SigningMethod) string {
	tok, err := jwt.NewWithClaims(method, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyToken(t *testing.T) {
	e, err := New(&Config{Endpoint: "http://127.0.0.1:7071", AccessKey: "primary", SecondaryAccessKey: "secondary"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.now = func() time.Time { return now }
	aud := "http://127.0.0.1:7071/client/hubs/chat"
	exp := now.Add(time.Hour).Unix()
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{"valid", signed(t, "primary", jwt.MapClaims{"aud": aud, "exp": exp}, jwt.SigningMethodHS256), nil},
		{"secondary key", signed(t, "secondary", jwt.MapClaims{"aud": aud, "exp": exp}, jwt.SigningMethodHS256), nil},
		{"audience array", signed(t, "primary", jwt.MapClaims{"aud": []string{"x", aud}, "exp": exp}, jwt.SigningMethodHS256), nil},
		{"wss audience, trailing slash, upper case", signed(t, "primary", jwt.MapClaims{"aud": "WS://127.0.0.1:7071/client/hubs/Chat/", "exp": exp}, jwt.SigningMethodHS256), nil},
		{"within clock skew", signed(t, "primary", jwt.MapClaims{"aud": aud, "exp": now.Add(-time.Minute).Unix()}, jwt.SigningMethodHS256), nil},
		{"kid is ignored", func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": aud, "exp": exp})
			tk.Header["kid"] = "k1"
			s, _ := tk.SignedString([]byte("primary"))
			return s
		}(), nil},
		{"empty", "", ErrTokenMissing},
		{"garbage", "a.b.c", ErrTokenMalformed},
		{"HS512", signed(t, "primary", jwt.MapClaims{"aud": aud, "exp": exp}, jwt.SigningMethodHS512), ErrTokenMalformed},
		{"none alg", func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"aud": aud, "exp": exp}).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(), ErrTokenMalformed},
		{"forged", signed(t, "other", jwt.MapClaims{"aud": aud, "exp": exp}, jwt.SigningMethodHS256), ErrTokenSignature},
		{"expired", signed(t, "primary", jwt.MapClaims{"aud": aud, "exp": now.Add(-time.Hour).Unix()}, jwt.SigningMethodHS256), ErrTokenExpired},
		{"no exp", signed(t, "primary", jwt.MapClaims{"aud": aud}, jwt.SigningMethodHS256), ErrTokenExpired},
		{"not yet valid", signed(t, "primary", jwt.MapClaims{"aud": aud, "exp": exp, "nbf": now.Add(time.Hour).Unix()}, jwt.SigningMethodHS256), ErrTokenNotYetValid},
		{"wrong hub", signed(t, "primary", jwt.MapClaims{"aud": "http://127.0.0.1:7071/client/hubs/other", "exp": exp}, jwt.SigningMethodHS256), ErrTokenAudience},
		{"wrong host", signed(t, "primary", jwt.MapClaims{"aud": "http://127.0.0.2:7071/client/hubs/chat", "exp": exp}, jwt.SigningMethodHS256), ErrTokenAudience},
		{"wrong port", signed(t, "primary", jwt.MapClaims{"aud": "http://127.0.0.1:7072/client/hubs/chat", "exp": exp}, jwt.SigningMethodHS256), ErrTokenAudience},
		{"prefix of the path", signed(t, "primary", jwt.MapClaims{"aud": "http://127.0.0.1:7071/client/hubs", "exp": exp}, jwt.SigningMethodHS256), ErrTokenAudience},
		{"no aud", signed(t, "primary", jwt.MapClaims{"exp": exp}, jwt.SigningMethodHS256), ErrTokenAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.verifyToken(tt.token, e.audiencesFor("", "/client/hubs/chat")...)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("verifyToken = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// FuzzVerifyToken: no input panics; every failure wraps one sentinel; a token the emulator's
// key signed for the audience always verifies.
func FuzzVerifyToken(f *testing.F) {
	e, err := New(&Config{Endpoint: "http://127.0.0.1:7071", AccessKey: "k"})
	if err != nil {
		f.Fatal(err)
	}
	aud := "http://127.0.0.1:7071/client/hubs/chat"
	f.Add(signed(f, "k", jwt.MapClaims{"aud": aud, "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodHS256), "sub")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.x", "")
	f.Add("...", "\x00")
	f.Fuzz(func(t *testing.T, token, sub string) {
		_, err := e.verifyToken(token, aud)
		if err != nil && !errors.Is(err, ErrTokenMissing) && !errors.Is(err, ErrTokenMalformed) && !errors.Is(err, ErrTokenSignature) &&
			!errors.Is(err, ErrTokenExpired) && !errors.Is(err, ErrTokenNotYetValid) && !errors.Is(err, ErrTokenAudience) {
			t.Fatalf("verifyToken(%q) = %v without a sentinel", token, err)
		}
		_, _ = normalizeAudience(token)
		if !utf8.ValidString(sub) {
			return // JSON encoding replaces invalid UTF-8; nothing to compare
		}
		own := signed(t, "k", jwt.MapClaims{"aud": aud, "exp": time.Now().Add(time.Hour).Unix(), "sub": sub}, jwt.SigningMethodHS256)
		claims, err := e.verifyToken(own, aud)
		if err != nil || claims["sub"] != sub {
			t.Fatalf("own token with sub %q: %v %v", sub, claims, err)
		}
	})
}
