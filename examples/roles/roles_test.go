package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

var testNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func testTokens() *appTokens {
	return &appTokens{key: []byte("0123456789abcdef0123456789abcdef"), now: func() time.Time { return testNow }}
}

// sign signs arbitrary claims with the test key and method.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	tokens := testTokens()
	valid := func(mod func(*appClaims)) appClaims {
		c := appClaims{Join: []string{"team-a"}, Send: []string{"team-a"}, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: appIssuer, Audience: jwt.ClaimStrings{appAudience}, Subject: "alice",
			IssuedAt: jwt.NewNumericDate(testNow), ExpiresAt: jwt.NewNumericDate(testNow.Add(time.Hour)),
		}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	key := tokens.key
	issued, err := tokens.issue("alice", []string{"team-a"}, []string{"team-b"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		token     string
		wantErr   string // substring; "" = valid
		wantRoles []string
	}{
		{"issued", issued, "", []string{"webpubsub.joinLeaveGroup.team-a", "webpubsub.sendToGroup.team-b"}},
		{"valid, no groups", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.Join, c.Send = nil, nil })), "", []string{}},
		{"missing", "", "missing", nil},
		{"too long", strings.Repeat("a", maxTokenLen+1), "longer than", nil},
		{"garbage", "not.a.jwt", "malformed", nil},
		{"expired", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.ExpiresAt = jwt.NewNumericDate(testNow.Add(-time.Second)) })), "expired", nil},
		{"no expiry", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.ExpiresAt = nil })), "exp claim is required", nil},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.IssuedAt = jwt.NewNumericDate(testNow.Add(time.Hour)) })), "used before issued", nil},
		{"other key", sign(t, jwt.SigningMethodHS256, []byte("another key, another key, another"), valid(nil)), "signature is invalid", nil},
		{"other method", sign(t, jwt.SigningMethodHS384, key, valid(nil)), "signing method HS384 is invalid", nil},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid(nil)), "signing method none is invalid", nil},
		{"other audience", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.Audience = jwt.ClaimStrings{"someone-else"} })), "aud", nil},
		{"other issuer", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.Issuer = "evil" })), "iss", nil},
		{"no subject", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.Subject = "" })), "no subject", nil},
		{"wildcard group", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.Join = []string{"team-*"} })), `group "team-*"`, nil},
		{"empty group", sign(t, jwt.SigningMethodHS256, key, valid(func(c *appClaims) { c.Send = []string{""} })), `group ""`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := tokens.verify(tt.token)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrAppToken) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("verify() error = %v, want ErrAppToken containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("verify() error = %v", err)
			}
			if got := claims.roles(); !slices.Equal(got, tt.wantRoles) {
				t.Errorf("roles() = %q, want %q", got, tt.wantRoles)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	tokens := testTokens()
	good, _ := tokens.issue("alice", []string{"a"}, []string{"b"}, time.Hour)
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add(good[:len(good)-3] + "AAA")
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := tokens.verify(token)
		if err != nil {
			if !errors.Is(err, ErrAppToken) {
				t.Fatalf("verify() error %v does not wrap ErrAppToken", err)
			}
			return
		}
		if claims.Subject == "" {
			t.Fatal("accepted a token without subject")
		}
		for _, r := range claims.roles() {
			if strings.ContainsAny(r, "*?\\ ") {
				t.Fatalf("accepted a token granting %q", r)
			}
		}
	})
}

// TestConnect checks the connect func with requests built by handlertest.
func TestConnect(t *testing.T) {
	tokens := testTokens()
	hub, err := newHub(hubName, handlertest.ConnectionString, tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := tokens.issue("alice", []string{"team-a"}, []string{"team-a"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := tokens.issue("alice", nil, nil, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		query      map[string][]string
		wantStatus int
		wantBody   string
	}{
		{"granted", map[string][]string{appTokenParam: {good}}, http.StatusOK,
			`{"userId":"alice","roles":["webpubsub.joinLeaveGroup.team-a","webpubsub.sendToGroup.team-a"]}`},
		{"expired", map[string][]string{appTokenParam: {expired}}, http.StatusUnauthorized, "token is expired"},
		{"missing", nil, http.StatusUnauthorized, "missing"},
		{"tampered", map[string][]string{appTokenParam: {good + "x"}}, http.StatusUnauthorized, "signature is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			hub.ServeHTTP(rec, handlertest.Connect(hubName, &handlertest.ConnectBody{Query: tt.query}, nil))
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("connect = %d %s, want %d containing %s", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestRoles runs the app on the emulator: allowed and refused actions, bad app tokens.
func TestRoles(t *testing.T) {
	ctx := t.Context()
	e, err := start(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	e.tokens.now = func() time.Time { return time.Now() }

	writer, err := e.tokens.issue("writer", []string{"news"}, []string{"news"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := e.tokens.issue("reader", []string{"news"}, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	w, err := e.dial(ctx, writer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop(context.Background()) })
	r, err := e.dial(ctx, reader, func(c *client.Client) {
		c.OnGroupMessage(func(_ context.Context, ev *client.GroupMessageEvent) { got <- ev.FromUserID + ":" + ev.Data.Text() })
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	if r.UserID() != "reader" {
		t.Errorf("reader's user id = %q, want reader (from the app token)", r.UserID())
	}

	steps := []struct {
		name      string
		do        func(context.Context) error
		forbidden string // "" = allowed; else the exact message of the service's Forbidden ack
	}{
		{"writer joins news", func(ctx context.Context) error { _, err := w.JoinGroup(ctx, "news", nil); return err }, ""},
		{"reader joins news", func(ctx context.Context) error { _, err := r.JoinGroup(ctx, "news", nil); return err }, ""},
		{"writer sends to news", func(ctx context.Context) error {
			_, err := w.SendToGroup(ctx, "news", client.Text("extra"), nil)
			return err
		}, ""},
		{"reader sends to news", func(ctx context.Context) error {
			_, err := r.SendToGroup(ctx, "news", client.Text("hi"), nil)
			return err
		}, "The client has no permission to send message to group 'news'."},
		{"writer joins sports", func(ctx context.Context) error { _, err := w.JoinGroup(ctx, "sports", nil); return err },
			"The client has no permission to join or leave group 'sports'."},
		{"writer sends to sports", func(ctx context.Context) error {
			_, err := w.SendToGroup(ctx, "sports", client.Text("x"), nil)
			return err
		}, "The client has no permission to send message to group 'sports'."},
	}
	for _, s := range steps {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		err := s.do(sctx)
		cancel()
		if s.forbidden == "" {
			if err != nil {
				t.Errorf("%s: %v, want allowed", s.name, err)
			}
			continue
		}
		ack, ok := errors.AsType[*client.AckError](err)
		if !ok || ack.Name != client.AckErrorForbidden || ack.Message != s.forbidden {
			t.Errorf("%s: error = %v, want Forbidden %q", s.name, err, s.forbidden)
		}
	}
	select {
	case m := <-got:
		if m != "writer:extra" {
			t.Errorf("reader received %q, want writer:extra", m)
		}
	case <-time.After(stepTimeout):
		t.Error("reader did not receive the writer's message")
	}

	forger := &appTokens{key: []byte("a key the app never used........"), now: time.Now}
	forged, err := forger.issue("writer", []string{"news"}, []string{"news"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := e.tokens.issue("writer", []string{"news"}, nil, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ name, token, want string }{
		{"forged", forged, "invalid app token: token signature is invalid"},
		{"expired", expired, "invalid app token: token has invalid claims: token is expired"},
		{"none", "", "invalid app token: missing"},
	} {
		status, reason, err := e.handshake(ctx, bad.token)
		if err != nil || status != http.StatusUnauthorized || !strings.HasPrefix(reason, bad.want) {
			t.Errorf("%s token: handshake = %d %q, %v; want 401 %q", bad.name, status, reason, err, bad.want)
		}
		_, err = e.dial(ctx, bad.token, nil)
		if dial, ok := errors.AsType[*client.DialError](err); !ok || dial.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token: client Start = %v, want *client.DialError 401", bad.name, err)
		}
	}
}

// TestRun checks the walkthrough's printed outcomes.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"allowed: alice sends to team-a",
		`bob received "hello team" from alice in team-a`,
		"refused: bob sends to team-a (no sendToGroup role)\n           webpubsub: ack 2: Forbidden: The client has no permission to send message to group 'team-a'.",
		"HTTP 401: invalid app token: token has invalid claims: token is expired",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
