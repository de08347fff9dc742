package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestRESTAuth(t *testing.T) {
	const secondary = "rest-secondary-key-abcdef"
	env := newRESTEnv(t, Config{SecondaryAccessKey: secondary})
	base := env.srv.URL()
	path := "/api/hubs/chat/groups/g1/:send?api-version=2024-12-01&excluded=c1"
	full := base + path
	sign := func(key string, claims jwt.MapClaims, header map[string]any) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(time.Hour).Unix()
	claims := func(aud any) jwt.MapClaims { return jwt.MapClaims{"aud": aud, "exp": exp} }

	tests := []struct {
		name       string
		auth       string // whole Authorization header
		wantStatus int
	}{
		{"full URL with query (SDKs)", "Bearer " + sign(restTestKey, claims(full), nil), http.StatusAccepted},
		{"URL without query (docs)", "Bearer " + sign(restTestKey, claims(base+"/api/hubs/chat/groups/g1/:send"), nil), http.StatusAccepted},
		{"trailing slash", "Bearer " + sign(restTestKey, claims(base+"/api/hubs/chat/groups/g1/:send/"), nil), http.StatusAccepted},
		{"hub prefix (docs example)", "Bearer " + sign(restTestKey, claims(base+"/api/hubs/chat"), nil), http.StatusAccepted},
		{"audience array", "Bearer " + sign(restTestKey, claims([]string{"x", full}), nil), http.StatusAccepted},
		{"https scheme", "Bearer " + sign(restTestKey, claims(strings.Replace(full, "http://", "https://", 1)), nil), http.StatusAccepted},
		{"scheme and host case-insensitive", "Bearer " + sign(restTestKey, claims(strings.Replace(full, "http://", "HTTP://", 1)), nil), http.StatusAccepted},
		{"ws scheme", "Bearer " + sign(restTestKey, claims(strings.Replace(full, "http://", "ws://", 1)), nil), http.StatusAccepted},
		{"secondary key", "Bearer " + sign(secondary, claims(full), nil), http.StatusAccepted},
		{"kid header", "Bearer " + sign(restTestKey, claims(full), map[string]any{"kid": "s-1"}), http.StatusAccepted},
		{"lower-case scheme", "bearer " + sign(restTestKey, claims(full), nil), http.StatusAccepted},
		{"no header", "", http.StatusUnauthorized},
		{"not bearer", "Basic " + sign(restTestKey, claims(full), nil), http.StatusUnauthorized},
		{"empty bearer", "Bearer ", http.StatusUnauthorized},
		{"garbage", "Bearer not.a.jwt", http.StatusUnauthorized},
		{"wrong key", "Bearer " + sign("other-key", claims(full), nil), http.StatusUnauthorized},
		{"expired", "Bearer " + sign(restTestKey, jwt.MapClaims{"aud": full, "exp": time.Now().Add(-time.Hour).Unix()}, nil), http.StatusUnauthorized},
		{"no exp", "Bearer " + sign(restTestKey, jwt.MapClaims{"aud": full}, nil), http.StatusUnauthorized},
		{"not yet valid", "Bearer " + sign(restTestKey, jwt.MapClaims{"aud": full, "exp": exp, "nbf": time.Now().Add(time.Hour).Unix()}, nil), http.StatusUnauthorized},
		{"no audience", "Bearer " + sign(restTestKey, jwt.MapClaims{"exp": exp}, nil), http.StatusUnauthorized},
		{"other hub", "Bearer " + sign(restTestKey, claims(base+"/api/hubs/other/groups/g1/:send"), nil), http.StatusUnauthorized},
		{"other hub prefix", "Bearer " + sign(restTestKey, claims(base+"/api/hubs/ch"), nil), http.StatusUnauthorized},
		{"above hub", "Bearer " + sign(restTestKey, claims(base+"/api/hubs"), nil), http.StatusUnauthorized},
		{"endpoint only", "Bearer " + sign(restTestKey, claims(base), nil), http.StatusUnauthorized},
		{"other operation", "Bearer " + sign(restTestKey, claims(base+"/api/hubs/chat/:send"), nil), http.StatusUnauthorized},
		{"other host", "Bearer " + sign(restTestKey, claims("http://example.com"+path), nil), http.StatusUnauthorized},
		{"other port", "Bearer " + sign(restTestKey, claims("http://127.0.0.1:1"+path), nil), http.StatusUnauthorized},
		{"client audience", "Bearer " + sign(restTestKey, claims(base+"/client/hubs/chat"), nil), http.StatusUnauthorized},
		{"HS384", "Bearer " + func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, claims(full)).SignedString([]byte(restTestKey))
			return s
		}(), http.StatusUnauthorized},
		{"none alg", "Bearer " + func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(full)).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.auth != "" {
				h.Set("Authorization", tt.auth)
			}
			resp := env.callWith(http.MethodPost, full, "text/plain", []byte("x"), h)
			if resp.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.status, tt.wantStatus, resp.body)
			}
			if tt.wantStatus != http.StatusUnauthorized {
				return
			}
			if got := resp.header.Get(headerErrorCode); got != "Error.Unauthorized" {
				t.Errorf("x-ms-error-code %q, want Error.Unauthorized", got)
			}
			if got := resp.header.Get("WWW-Authenticate"); got != "Bearer" {
				t.Errorf("WWW-Authenticate %q, want Bearer", got)
			}
			var body serviceErrorBody
			if err := json.Unmarshal(resp.body, &body); err != nil || body.Code != "Error.Unauthorized" || body.Message == "" {
				t.Errorf("body %s (err %v), want a shape-A Error.Unauthorized body with a reason", resp.body, err)
			}
		})
	}
}

// TestRESTAuthEveryOperation checks that no hub operation runs without a valid token and
// that the health check needs none.
func TestRESTAuthEveryOperation(t *testing.T) {
	env := newRESTEnv(t, Config{})
	for _, op := range restOps {
		path := "/api/hubs/chat"
		for _, seg := range op.pattern {
			switch {
			case seg == "{permission}":
				seg = "sendToGroup"
			case strings.HasPrefix(seg, "{"):
				seg = "x"
			}
			path += "/" + seg
		}
		u := env.srv.URL() + path + "?api-version=2024-12-01&targetName=g"
		resp := env.callWith(op.method, u, "text/plain", []byte("x"), http.Header{})
		if resp.status != http.StatusUnauthorized {
			t.Errorf("%s %s without token: status %d, want 401", op.method, path, resp.status)
		}
		forged := restToken(t, "forged-key", u, time.Hour)
		resp = env.callWith(op.method, u, "text/plain", []byte("x"), http.Header{"Authorization": {"Bearer " + forged}})
		if resp.status != http.StatusUnauthorized {
			t.Errorf("%s %s with a forged token: status %d, want 401", op.method, path, resp.status)
		}
	}
	resp := env.callWith(http.MethodHead, env.srv.URL()+"/api/health?api-version=2024-12-01", "", nil, http.Header{})
	if resp.status != http.StatusOK || resp.header.Get(headerAPISupportedVersions) != "" {
		t.Errorf("HEAD /api/health = %d, api-supported-versions %q; want 200 without the header", resp.status, resp.header.Get(headerAPISupportedVersions))
	}
}
