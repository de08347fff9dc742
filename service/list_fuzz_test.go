package service

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNextLinkURL checks that any nextLink the service (or an attacker in the middle)
// returns is turned into a URL on the client's own endpoint that carries an api-version,
// or rejected — never a panic, never another host.
func FuzzNextLinkURL(f *testing.F) {
	for _, s := range []string{
		"https://endpoint/api/hubs/h/groups/g/connections?top=3&maxpagesize=2&continuationToken=abc&api-version=2024-12-01",
		"/api/hubs/h/groups/g/connections?continuationToken=x",
		"https://evil.example/steal?api-version=1",
		"//evil.example/x",
		"%zz",
		"",
		"http://[::1]:80/a%2Fb?x=%41",
	} {
		f.Add(s)
	}
	c, err := NewClientWithKey("http://127.0.0.1:7071", "hub", nil, nil)
	if err == nil || c != nil {
		f.Fatal("nil key accepted")
	}
	c = newTestClient(f, "http://127.0.0.1:7071", nil)
	f.Fuzz(func(t *testing.T, link string) {
		got, err := c.nextLinkURL(link)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("nextLinkURL(%q) = %q, not a URL: %v", link, got, err)
		}
		if u.Scheme != "http" || u.Host != "127.0.0.1:7071" {
			t.Fatalf("nextLinkURL(%q) = %q leaves the endpoint", link, got)
		}
		if u.Query().Get("api-version") == "" && !strings.Contains(u.RawQuery, "api-version=") {
			t.Fatalf("nextLinkURL(%q) = %q has no api-version", link, got)
		}
	})
}
