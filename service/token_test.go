package service

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func fixedClock() func() time.Time {
	return func() time.Time { return time.Unix(1_800_000_000, 0) }
}

func TestClientAccessTokenKey(t *testing.T) {
	tests := []struct {
		name       string
		endpoint   string
		opts       *ClientAccessTokenOptions
		wantBase   string
		wantClaims map[string]any
	}{
		{name: "anonymous https", endpoint: "https://contoso.webpubsub.azure.com", opts: nil,
			wantBase:   "wss://contoso.webpubsub.azure.com/client/hubs/hub1",
			wantClaims: map[string]any{"aud": "https://contoso.webpubsub.azure.com/client/hubs/hub1", "iat": 1.8e9, "exp": 1.8e9 + 3600}},
		{name: "user roles groups http port", endpoint: "http://127.0.0.1:7071",
			opts:     &ClientAccessTokenOptions{UserID: "u1", Roles: []string{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.g1"}, Groups: []string{"g1", "g2"}, ExpiresAfter: 10 * time.Minute},
			wantBase: "ws://127.0.0.1:7071/client/hubs/hub1",
			wantClaims: map[string]any{"aud": "http://127.0.0.1:7071/client/hubs/hub1", "iat": 1.8e9, "exp": 1.8e9 + 600, "sub": "u1",
				"role": []any{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.g1"}, "webpubsub.group": []any{"g1", "g2"}}},
		{name: "mqtt", endpoint: "https://a.example", opts: &ClientAccessTokenOptions{ClientProtocol: ClientProtocolMQTT},
			wantBase:   "wss://a.example/clients/mqtt/hubs/hub1",
			wantClaims: map[string]any{"aud": "https://a.example/clients/mqtt/hubs/hub1", "iat": 1.8e9, "exp": 1.8e9 + 3600}},
		{name: "socketio", endpoint: "https://a.example", opts: &ClientAccessTokenOptions{ClientProtocol: ClientProtocolSocketIO},
			wantBase:   "wss://a.example/clients/socketio/hubs/hub1",
			wantClaims: map[string]any{"aud": "https://a.example/clients/socketio/hubs/hub1", "iat": 1.8e9, "exp": 1.8e9 + 3600}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, tc.endpoint, &ClientOptions{now: fixedClock()})
			got, err := c.ClientAccessToken(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.BaseURL != tc.wantBase || got.URL != tc.wantBase+"?access_token="+got.Token {
				t.Errorf("URLs = %q, %q, want base %q", got.BaseURL, got.URL, tc.wantBase)
			}
			claims := parseJWTAt(t, got.Token, time.Unix(1.8e9, 0))
			if !equalJSON(claims, tc.wantClaims) {
				t.Errorf("claims = %v, want %v", claims, tc.wantClaims)
			}
			if strings.Contains(got.String(), got.Token) {
				t.Errorf("String() leaks the token")
			}
		})
	}
}

func TestClientAccessTokenErrors(t *testing.T) {
	c := newTestClient(t, "https://a.example", nil)
	for _, o := range []*ClientAccessTokenOptions{{ExpiresAfter: -time.Second}, {ClientProtocol: "carrier-pigeon"}} {
		if _, err := c.ClientAccessToken(t.Context(), o); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ClientAccessToken(%+v) error = %v, want ErrInvalidArgument", o, err)
		}
	}
}

func TestClientAccessTokenUsesClientEndpoint(t *testing.T) {
	c, err := NewClientFromConnectionString("Endpoint=http://emulator:7071;AccessKey=k;ClientEndpoint=https://public.example", "hub1", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ClientAccessToken(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.BaseURL != "wss://public.example/client/hubs/hub1" {
		t.Errorf("BaseURL = %q, want the client endpoint", got.BaseURL)
	}
}

// fakeCredential is an azcore.TokenCredential returning a fixed token and recording scopes.
type fakeCredential struct{ scopes []string }

func (f *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.scopes = o.Scopes
	return azcore.AccessToken{Token: "entra-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestClientAccessTokenEntra(t *testing.T) {
	tests := []struct {
		name       string
		apiVersion string
		opts       *ClientAccessTokenOptions
		wantQuery  url.Values
		wantBase   string
	}{
		{name: "default", opts: nil, wantQuery: url.Values{"minutesToExpire": {"60"}, "clientType": {"Default"}}, wantBase: "ws://HOST/client/hubs/hub1"},
		{name: "everything", opts: &ClientAccessTokenOptions{UserID: "u1", Roles: []string{"r1", "r2"}, Groups: []string{"a&b", "c"}, ExpiresAfter: 90 * time.Second, ClientProtocol: ClientProtocolMQTT},
			wantQuery: url.Values{"userId": {"u1"}, "role": {"r1", "r2"}, "group": {"a&b", "c"}, "minutesToExpire": {"2"}, "clientType": {"MQTT"}}, wantBase: "ws://HOST/clients/mqtt/hubs/hub1"},
		{name: "old api version has no clientType", apiVersion: "2023-07-01", opts: nil, wantQuery: url.Values{"minutesToExpire": {"60"}}, wantBase: "ws://HOST/client/hubs/hub1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeService(t, reply{status: 200, body: `{"token":"minted.by.service"}`, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
			cred := &fakeCredential{}
			c, err := NewClient(f.srv.URL, "hub1", cred, &ClientOptions{APIVersion: tc.apiVersion, ClientOptions: azcore.ClientOptions{InsecureAllowCredentialWithHTTP: true, Retry: fastRetry()}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.ClientAccessToken(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			host := strings.TrimPrefix(f.srv.URL, "http://")
			wantBase := strings.Replace(tc.wantBase, "HOST", host, 1)
			if got.Token != "minted.by.service" || got.BaseURL != wantBase || got.URL != wantBase+"?access_token=minted.by.service" {
				t.Errorf("token = %+v, want the service token at %s", got, wantBase)
			}
			r := f.requests()[0]
			if r.Method != "POST" || r.EscapedPath != "/api/hubs/hub1/:generateToken" {
				t.Errorf("request = %s %s", r.Method, r.EscapedPath)
			}
			wantQ := url.Values{"api-version": {c.APIVersion()}}
			maps.Copy(wantQ, tc.wantQuery)
			if !maps.EqualFunc(r.Query, wantQ, slices.Equal) {
				t.Errorf("query = %v, want %v", r.Query, wantQ)
			}
			if r.Header.Get("Authorization") != "Bearer entra-token" || !slices.Equal(cred.scopes, []string{EntraScope}) {
				t.Errorf("Authorization = %q, scopes %v", r.Header.Get("Authorization"), cred.scopes)
			}
			if r.Header.Get("Accept") != "application/json, text/json" || r.Header.Get("Content-Length") != "0" {
				t.Errorf("Accept = %q, Content-Length = %q", r.Header.Get("Accept"), r.Header.Get("Content-Length"))
			}
		})
	}
}

func TestClientAccessTokenEntraErrors(t *testing.T) {
	tests := []struct {
		name   string
		rep    reply
		isResp bool
	}{
		{name: "400 socketio", rep: reply{status: 400, body: `{"code":"Error.BadRequest","message":"The value 'socketio' is not valid."}`, header: map[string]string{"x-ms-error-code": "Error.BadRequest"}}, isResp: true},
		{name: "no token", rep: reply{status: 200, body: `{}`}},
		{name: "not JSON", rep: reply{status: 200, body: `<html>`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeService(t, tc.rep)
			c, err := NewClient(f.srv.URL, "hub1", &fakeCredential{}, &ClientOptions{ClientOptions: azcore.ClientOptions{InsecureAllowCredentialWithHTTP: true, Retry: fastRetry()}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ClientAccessToken(t.Context(), nil)
			var re *azcore.ResponseError
			if err == nil || errors.As(err, &re) != tc.isResp {
				t.Errorf("err = %v, want error (ResponseError: %v)", err, tc.isResp)
			}
		})
	}
}

func TestEntraRefusesPlainHTTPByDefault(t *testing.T) {
	f := newFakeService(t, reply{status: 202})
	c, err := NewClient(f.srv.URL, "hub1", &fakeCredential{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendToAll(t.Context(), Text("x"), nil); err == nil {
		t.Fatal("SendToAll over http with an Entra credential succeeded, want an error")
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("sent %d requests, want 0", n)
	}
}
