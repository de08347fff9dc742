package service

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestURLCache(t *testing.T) {
	var uc urlCache
	u1, err := uc.get("https://a.example/api/hubs/h/:send?api-version=1")
	if err != nil {
		t.Fatal(err)
	}
	u2, err := uc.get("https://a.example/api/hubs/h/:send?api-version=1")
	if err != nil {
		t.Fatal(err)
	}
	if u1 != u2 {
		t.Error("the second get parsed the URL again")
	}
	if u1.Host != "a.example" || u1.Path != "/api/hubs/h/:send" || u1.RawQuery != "api-version=1" {
		t.Errorf("parsed %#v", u1)
	}
	for _, bad := range []string{"ftp://a.example/x", "/no/host", "http://a b/", "%zz"} {
		if _, err := uc.get(bad); err == nil {
			t.Errorf("get(%q): no error", bad)
		}
	}
	for i := range urlCacheSize + 10 {
		if _, err := uc.get(fmt.Sprintf("http://a.example/groups/g%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(uc.m); n > urlCacheSize {
		t.Errorf("cache holds %d URLs, the bound is %d", n, urlCacheSize)
	}
}

// TestNewRequestCopiesURL checks that a request gets its own copy of the cached URL
// (policies such as the reverse proxy's may change it) and that concurrent calls are safe.
func TestNewRequestCopiesURL(t *testing.T) {
	c, err := NewClientFromConnectionString("Endpoint=http://127.0.0.1:1;AccessKey="+testKey, "hub1", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := c.buildURL(opSendToGroup, args{group: "a/b c"}, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				req, err := c.newRequest(context.Background(), http.MethodPost, raw)
				if err != nil {
					t.Error(err)
					return
				}
				r := req.Raw()
				if got := r.URL.EscapedPath(); got != "/api/hubs/hub1/groups/a%2Fb%20c/:send" {
					t.Errorf("path %q", got)
				}
				if r.Host != "127.0.0.1:1" || r.Context() == nil {
					t.Errorf("host %q", r.Host)
				}
				r.URL.Path = "/changed"
			}
		})
	}
	wg.Wait()
	u, _ := c.urls.get(raw)
	if u.Path == "/changed" {
		t.Error("a request changed the cached URL")
	}
}
