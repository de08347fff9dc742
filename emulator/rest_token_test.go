package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestRESTGenerateToken(t *testing.T) {
	env := newRESTEnv(t, Config{})
	now := time.Now()
	tests := []struct {
		name       string
		query      string
		wantSub    string
		wantRoles  []string
		wantGroups []string
		wantLife   time.Duration
		wantPath   string
	}{
		{"defaults", "", "", nil, nil, time.Hour, "/client/hubs/chat"},
		{"recorded", "userId=foo&role=a&role=b&group=a%26b&group=c", "foo", []string{"a", "b"}, []string{"a&b", "c"}, time.Hour, "/client/hubs/chat"},
		{"minutes", "userId=user1&role=webpubsub.sendToGroup&minutesToExpire=10&group=group1&clientType=Default", "user1", []string{"webpubsub.sendToGroup"}, []string{"group1"}, 10 * time.Minute, "/client/hubs/chat"},
		{"lower-case default", "clientType=default", "", nil, nil, time.Hour, "/client/hubs/chat"},
		{"mqtt", "userId=m&clientType=MQTT", "m", nil, nil, time.Hour, "/clients/mqtt/hubs/chat"},
		{"mqtt lower-case", "clientType=mqtt", "", nil, nil, time.Hour, "/clients/mqtt/hubs/chat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.call(http.MethodPost, env.api("/:generateToken", tt.query), "", nil)
			resp.wantStatus(t, "generateToken", http.StatusOK)
			if resp.header.Get("Content-Length") != "" || resp.header.Get("Content-Type") != contentTypeJSONUTF8 {
				t.Errorf("headers %v, want chunked application/json", resp.header)
			}
			var body map[string]string
			if err := json.Unmarshal(resp.body, &body); err != nil || len(body) != 1 || body["token"] == "" {
				t.Fatalf("body %s, want {\"token\":...} only", resp.body)
			}
			claims := jwt.MapClaims{}
			tok, err := jwt.ParseWithClaims(body["token"], claims, func(*jwt.Token) (any, error) { return []byte(restTestKey), nil },
				jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(env.srv.URL()+tt.wantPath), jwt.WithIssuer(tokenIssuer))
			if err != nil {
				t.Fatalf("token %s: %v", body["token"], err)
			}
			if tok.Header["cty"] != "JWT" {
				t.Errorf("header %v, want cty JWT", tok.Header)
			}
			if sub, _ := claims.GetSubject(); sub != tt.wantSub {
				t.Errorf("sub %q, want %q", sub, tt.wantSub)
			}
			if got := claimStrings(claims["role"]); !slices.Equal(got, tt.wantRoles) {
				t.Errorf("role %v, want %v", got, tt.wantRoles)
			}
			if got := claimStrings(claims["webpubsub.group"]); !slices.Equal(got, tt.wantGroups) {
				t.Errorf("webpubsub.group %v, want %v", got, tt.wantGroups)
			}
			exp, _ := claims.GetExpirationTime()
			nbf, _ := claims.GetNotBefore()
			if exp == nil || nbf == nil || exp.Sub(nbf.Time) != tt.wantLife || nbf.Before(now.Add(-time.Minute)) {
				t.Errorf("nbf %v exp %v, want a lifetime of %v from now", nbf, exp, tt.wantLife)
			}
		})
	}

	// The minted token opens a client connection with its user and groups.
	resp := env.call(http.MethodPost, env.api("/:generateToken", "userId=alice&group=lobby"), "", nil)
	var body struct{ Token string }
	if err := json.Unmarshal(resp.body, &body); err != nil {
		t.Fatal(err)
	}
	c := env.dialToken(body.Token, "/client/hubs/chat")
	if c.user != "alice" {
		t.Errorf("connected as %q, want alice", c.user)
	}
	if st, _ := env.head("/groups/lobby", ""); st != http.StatusOK {
		t.Errorf("HEAD groups/lobby = %d, want 200 (joined from the token)", st)
	}
}
