package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func TestConstructorsRejectBadInput(t *testing.T) {
	key := azcore.NewKeyCredential("k")
	tests := []struct {
		name string
		new  func() (*Client, error)
		want error
	}{
		{"bad connection string", func() (*Client, error) { return NewClientFromConnectionString("nonsense", "hub", nil) }, ErrInvalidConnectionString},
		{"empty hub", func() (*Client, error) { return NewClientWithKey("https://a.example", "", key, nil) }, ErrInvalidArgument},
		{"hub starting with digit", func() (*Client, error) { return NewClientWithKey("https://a.example", "1hub", key, nil) }, ErrInvalidArgument},
		{"hub with slash", func() (*Client, error) { return NewClientWithKey("https://a.example", "a/b", key, nil) }, ErrInvalidArgument},
		{"hub too long", func() (*Client, error) {
			return NewClientWithKey("https://a.example", "h"+strings.Repeat("x", 128), key, nil)
		}, ErrInvalidArgument},
		{"nil key", func() (*Client, error) { return NewClientWithKey("https://a.example", "hub", nil, nil) }, ErrInvalidArgument},
		{"nil credential", func() (*Client, error) { return NewClient("https://a.example", "hub", nil, nil) }, ErrInvalidArgument},
		{"bad endpoint", func() (*Client, error) { return NewClientWithKey("a.example", "hub", key, nil) }, ErrInvalidArgument},
		{"bad proxy", func() (*Client, error) {
			return NewClientWithKey("https://a.example", "hub", key, &ClientOptions{ReverseProxyEndpoint: "::"})
		}, ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.new()
			if !errors.Is(err, tc.want) || c != nil {
				t.Errorf("constructor = %v, %v, want nil, %v", c, err, tc.want)
			}
		})
	}
	c, err := NewClientWithKey("https://A.example/", "Hub_1.[x]", key, &ClientOptions{APIVersion: "2023-07-01"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Hub() != "Hub_1.[x]" || c.Endpoint() != "https://a.example" || c.APIVersion() != "2023-07-01" {
		t.Errorf("client = %q %q %q", c.Hub(), c.Endpoint(), c.APIVersion())
	}
}

func TestOperationsRejectBadArguments(t *testing.T) {
	f := newFakeService(t, reply{status: 202})
	c := newTestClient(t, f.srv.URL, nil)
	ctx := t.Context()
	calls := map[string]func() error{
		"SendToGroup empty group": func() error { _, err := c.SendToGroup(ctx, "", Text("x"), nil); return err },
		"SendToGroup blank group": func() error { _, err := c.SendToGroup(ctx, "  ", Text("x"), nil); return err },
		"SendToGroup long group":  func() error { _, err := c.SendToGroup(ctx, strings.Repeat("g", 1025), Text("x"), nil); return err },
		"SendToUser empty":        func() error { _, err := c.SendToUser(ctx, "", Text("x"), nil); return err },
		"SendToConnection empty":  func() error { _, err := c.SendToConnection(ctx, "", Text("x"), nil); return err },
		"SendToAll ttl too big": func() error {
			_, err := c.SendToAll(ctx, Text("x"), &SendToAllOptions{MessageTTLSeconds: 301})
			return err
		},
		"SendToAll ttl negative": func() error {
			_, err := c.SendToAll(ctx, Text("x"), &SendToAllOptions{MessageTTLSeconds: -1})
			return err
		},
		"SendToAll bad JSON":        func() error { _, err := c.SendToAll(ctx, JSON(make(chan int)), nil); return err },
		"CloseConnection empty":     func() error { _, err := c.CloseConnection(ctx, "", nil); return err },
		"CloseUserConnections":      func() error { _, err := c.CloseUserConnections(ctx, "", nil); return err },
		"CloseGroupConnections":     func() error { _, err := c.CloseGroupConnections(ctx, "", nil); return err },
		"AddConnectionToGroup":      func() error { _, err := c.AddConnectionToGroup(ctx, "g", "", nil); return err },
		"AddUserToGroup":            func() error { _, err := c.AddUserToGroup(ctx, "", "u", nil); return err },
		"RemoveUserFromAllGroups":   func() error { _, err := c.RemoveUserFromAllGroups(ctx, "", nil); return err },
		"AddConnectionsToGroups":    func() error { _, err := c.AddConnectionsToGroups(ctx, nil, "", nil); return err },
		"RemoveConnectionsFromGrps": func() error { _, err := c.RemoveConnectionsFromGroups(ctx, []string{""}, "", nil); return err },
		"GrantPermission bad perm":  func() error { _, err := c.GrantPermission(ctx, "admin", "c", "g", nil); return err },
		"RevokePermission no group": func() error { _, err := c.RevokePermission(ctx, PermissionSendToGroup, "c", "", nil); return err },
		"CheckPermission no conn":   func() error { _, err := c.CheckPermission(ctx, PermissionSendToGroup, "", "g", nil); return err },
		"ConnectionExists empty":    func() error { _, err := c.ConnectionExists(ctx, "", nil); return err },
		"UserExists empty":          func() error { _, err := c.UserExists(ctx, "", nil); return err },
		"GroupExists empty":         func() error { _, err := c.GroupExists(ctx, "", nil); return err },
		"List page size": func() error {
			_, err := c.ListConnectionsInGroup("g", &ListConnectionsInGroupOptions{MaxPageSize: 201}).NextPage(ctx)
			return err
		},
		"List top": func() error {
			_, err := c.ListConnectionsInGroup("g", &ListConnectionsInGroupOptions{Top: -1}).NextPage(ctx)
			return err
		},
		"List group": func() error { _, err := c.ListConnectionsInGroup("", nil).NextPage(ctx); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("sent %d requests for bad arguments, want 0", n)
	}
}

func TestReverseProxy(t *testing.T) {
	proxy := newFakeService(t, reply{status: 202})
	c, err := NewClientWithKey("https://contoso.webpubsub.azure.com", "hub1", azcore.NewKeyCredential(testKey),
		&ClientOptions{ReverseProxyEndpoint: proxy.srv.URL + "/apim/", ClientOptions: azcore.ClientOptions{Retry: fastRetry()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendToGroup(t.Context(), "a/b", Text("x"), &SendToGroupOptions{Excluded: []string{"c1"}}); err != nil {
		t.Fatal(err)
	}
	r := proxy.requests()[0]
	if r.EscapedPath != "/apim/api/hubs/hub1/groups/a%2Fb/:send" {
		t.Errorf("proxy path = %q", r.EscapedPath)
	}
	claims := verifyJWT(t, r.Header.Get("Authorization"), testKey)
	wantAud := "https://contoso.webpubsub.azure.com/api/hubs/hub1/groups/a%2Fb/:send?" + r.RawQuery
	if claims["aud"] != wantAud {
		t.Errorf("aud = %v, want the original service URL %q", claims["aud"], wantAud)
	}
	tok, err := c.ClientAccessToken(t.Context(), nil)
	if err != nil || tok.BaseURL != "wss://contoso.webpubsub.azure.com/client/hubs/hub1" {
		t.Errorf("client URL = %q, %v, want the service endpoint (not rewritten)", tok.BaseURL, err)
	}
	if _, err := c.GetServiceStatus(t.Context(), nil); err != nil {
		t.Errorf("health through the proxy: %v", err)
	}
	if r := proxy.requests()[1]; r.EscapedPath != "/apim/api/health" || r.Header.Get("Authorization") != "" {
		t.Errorf("health = %s, Authorization %q", r.EscapedPath, r.Header.Get("Authorization"))
	}
}

func TestHealthHasNoCredential(t *testing.T) {
	f := newFakeService(t, reply{status: 200})
	c := newTestClient(t, f.srv.URL, nil)
	if _, err := c.GetServiceStatus(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != http.MethodHead || r.EscapedPath != "/api/health" || r.RawQuery != "api-version="+DefaultAPIVersion || r.Header.Get("Authorization") != "" {
		t.Errorf("health request = %s %s?%s auth %q", r.Method, r.EscapedPath, r.RawQuery, r.Header.Get("Authorization"))
	}
	f2 := newFakeService(t, reply{status: 503})
	_, err := newTestClient(t, f2.srv.URL, nil).GetServiceStatus(t.Context(), nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 {
		t.Errorf("unhealthy: err = %v, want ResponseError 503", err)
	}
}

func TestRequestTokenCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	key := azcore.NewKeyCredential(testKey)
	s := newKeySigner(key, clock)
	aud := "https://a.example/api/hubs/h/:send?api-version=2024-12-01"
	t1, err := s.requestToken(aud)
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := s.requestToken(aud); t2 != t1 {
		t.Error("second token for the same URL was re-signed, want the cached one")
	}
	if t3, _ := s.requestToken(aud + "&x=1"); t3 == t1 {
		t.Error("another URL got the same token")
	}
	mu.Lock()
	now = now.Add(requestTokenLifetime - requestTokenRenew + time.Second)
	mu.Unlock()
	t4, _ := s.requestToken(aud)
	if t4 == t1 {
		t.Error("token near expiry was reused, want a fresh one")
	}
	key.Update("another-key")
	t5, _ := s.requestToken(aud)
	if t5 == t4 {
		t.Error("token after key rotation was reused")
	}
	parseJWTWithKey(t, t5, "another-key", clock())
	for i := range requestTokenCacheSize + 10 {
		if _, err := s.requestToken(fmt.Sprintf("%s&i=%d", aud, i)); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	n := len(s.cache)
	s.mu.Unlock()
	if n > requestTokenCacheSize {
		t.Errorf("cache holds %d tokens, limit %d", n, requestTokenCacheSize)
	}
}

func TestKeyRotationReachesRequests(t *testing.T) {
	f := newFakeService(t, reply{status: 202})
	key := azcore.NewKeyCredential(testKey)
	c, err := NewClientWithKey(f.srv.URL, "hub1", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendToAll(t.Context(), Text("a"), nil); err != nil {
		t.Fatal(err)
	}
	key.Update("rotated")
	if _, err := c.SendToAll(t.Context(), Text("b"), nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	verifyJWT(t, reqs[0].Header.Get("Authorization"), testKey)
	verifyJWT(t, reqs[1].Header.Get("Authorization"), "rotated")
}

func TestConcurrentUse(t *testing.T) {
	f := newFakeService(t, reply{status: 202})
	c := newTestClient(t, f.srv.URL, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := c.SendToUser(t.Context(), fmt.Sprintf("u%d", i%3), Text("x"), nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, r := range f.requests() {
		verifyJWT(t, r.Header.Get("Authorization"), testKey)
	}
}

func TestContextCancelStopsCall(t *testing.T) {
	f := newFakeService(t, reply{status: 503})
	c := newTestClient(t, f.srv.URL, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.SendToAll(ctx, Text("x"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// bodyTypeTransport records the type of the request body net/http would see.
type bodyTypeTransport struct{ types []string }

func (b *bodyTypeTransport) Do(req *http.Request) (*http.Response, error) {
	b.types = append(b.types, fmt.Sprintf("%T", req.Body))
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// TestBodyIsKnownInMemoryReader checks that every try (retries included) hands net/http
// an io.NopCloser around a *bytes.Reader, which net/http writes together with the headers.
func TestBodyIsKnownInMemoryReader(t *testing.T) {
	tr := &bodyTypeTransport{}
	opts := &ClientOptions{}
	opts.Transport = tr
	opts.Retry = fastRetry()
	opts.Retry.MaxRetries = 1
	c := newTestClient(t, "http://127.0.0.1:1", opts)
	c.SendToAll(t.Context(), Text("hello"), nil)
	want := fmt.Sprintf("%T", io.NopCloser(bytes.NewReader(nil)))
	if len(tr.types) != 2 || tr.types[0] != want || tr.types[1] != want {
		t.Errorf("body types = %v, want 2 × %s", tr.types, want)
	}
}

func TestAPIVersionOption(t *testing.T) {
	tests := []struct {
		name string
		opts *ClientOptions
		want string
	}{
		{"default", nil, DefaultAPIVersion},
		{"ours", &ClientOptions{APIVersion: "2023-07-01"}, "2023-07-01"},
		{"azcore's", &ClientOptions{ClientOptions: azcore.ClientOptions{APIVersion: "2024-01-01"}}, "2024-01-01"},
		{"ours wins", &ClientOptions{APIVersion: "2023-07-01", ClientOptions: azcore.ClientOptions{APIVersion: "2024-01-01"}}, "2023-07-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeService(t, reply{status: 202})
			c, err := NewClientWithKey(f.srv.URL, "hub1", azcore.NewKeyCredential(testKey), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.SendToAll(t.Context(), Text("x"), nil); err != nil {
				t.Fatal(err)
			}
			if got := f.requests()[0].Query["api-version"]; len(got) != 1 || got[0] != tc.want {
				t.Errorf("api-version = %v, want [%s]", got, tc.want)
			}
		})
	}
}
