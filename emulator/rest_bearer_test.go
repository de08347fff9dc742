package emulator

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/webpubsub-go/webpubsub/service"
)

// fakeEntraCredential is an azcore.TokenCredential handing out JWTs shaped like Microsoft
// Entra ID access tokens (signed with a key the emulator does not know).
type fakeEntraCredential struct {
	aud string
	exp time.Duration
}

func (f fakeEntraCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(o.Scopes) != 1 || o.Scopes[0] != service.EntraScope {
		return azcore.AccessToken{}, errors.New("unexpected scopes " + strings.Join(o.Scopes, ","))
	}
	exp := time.Now().Add(f.exp)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"aud": f.aud, "exp": exp.Unix(), "iss": "https://sts.windows.net/tenant/", "oid": "object-id", "appid": "app-id",
	}).SignedString([]byte("a key only Entra ID knows"))
	return azcore.AccessToken{Token: tok, ExpiresOn: exp}, err
}

// TestRESTBearerTokens runs service.NewClient with a token credential against the emulator
// with and without Config.InsecureAcceptBearerTokens.
func TestRESTBearerTokens(t *testing.T) {
	tests := []struct {
		name     string
		insecure bool
		auds     []string
		cred     fakeEntraCredential
		want     int    // 0: success, else the status of the *azcore.ResponseError
		wantText string // in the error
	}{
		{"accepted when opted in", true, nil, fakeEntraCredential{"https://webpubsub.azure.com", time.Hour}, 0, ""},
		{"trailing slash audience", true, nil, fakeEntraCredential{"https://webpubsub.azure.com/", time.Hour}, 0, ""},
		{"configured audience", true, []string{"api://custom"}, fakeEntraCredential{"api://custom", time.Hour}, 0, ""},
		{"refused by default", false, nil, fakeEntraCredential{"https://webpubsub.azure.com", time.Hour}, http.StatusUnauthorized, "InsecureAcceptBearerTokens"},
		{"wrong audience", true, nil, fakeEntraCredential{"https://management.azure.com", time.Hour}, http.StatusUnauthorized, "audience"},
		{"expired", true, nil, fakeEntraCredential{"https://webpubsub.azure.com", -time.Hour}, http.StatusUnauthorized, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			s := startEmulator(t, Config{
				InsecureAcceptBearerTokens: tt.insecure,
				BearerTokenAudiences:       tt.auds,
				Logger:                     slog.New(slog.NewTextHandler(logs, nil)),
			}, service.HubSettings{Hub: "chat", AllowAnonymous: true})
			cl, err := service.NewClient(s.URL(), "chat", tt.cred, &service.ClientOptions{
				ClientOptions: azcore.ClientOptions{InsecureAllowCredentialWithHTTP: true, Retry: policy.RetryOptions{MaxRetries: -1}},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			_, err = cl.SendToAll(ctx, service.Text("hello"), nil)
			if tt.want != 0 {
				var re *azcore.ResponseError
				if !errors.As(err, &re) || re.StatusCode != tt.want {
					t.Fatalf("SendToAll error %v, want status %d", err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not mention %q", err, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatalf("SendToAll: %v", err)
			}
			// With Entra there is no key: client tokens come from :generateToken.
			tok, err := cl.ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: "alice"})
			if err != nil {
				t.Fatalf("ClientAccessToken: %v", err)
			}
			c := dial(t, tok.URL, protoJSONName)
			if m := read(t, c); m.Event != "connected" || m.UserID != "alice" {
				t.Fatalf("connected = %+v, want user alice", m)
			}
			if _, err := cl.SendToAll(ctx, service.Text("again"), nil); err != nil {
				t.Fatalf("second SendToAll: %v", err)
			}
			if n := logs.count("INSECURE"); n != 1 {
				t.Errorf("%d insecure-token warnings, want exactly 1", n)
			}
		})
	}
}

// FuzzVerifyBearerToken checks that arbitrary bearer tokens never panic and are accepted
// only with the configured audience and a current exp.
func FuzzVerifyBearerToken(f *testing.F) {
	e, err := New(&Config{InsecureAcceptBearerTokens: true})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": "https://webpubsub.azure.com", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("k"))
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL3dlYnB1YnN1Yi5henVyZS5jb20ifQ.")
	f.Fuzz(func(t *testing.T, tok string) {
		claims, err := e.verifyBearerToken(tok)
		if err != nil {
			return
		}
		auds, _ := claims.GetAudience()
		exp, _ := claims.GetExpirationTime()
		ok := false
		for _, a := range auds {
			ok = ok || strings.EqualFold(strings.TrimRight(a, "/"), "https://webpubsub.azure.com")
		}
		if !ok || exp == nil || exp.Before(time.Now().Add(-TokenClockSkew-time.Minute)) {
			t.Fatalf("accepted %q with aud %q exp %v", tok, auds, exp)
		}
	})
}
