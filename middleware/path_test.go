package middleware

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestCompilePath(t *testing.T) {
	tests := []struct {
		path      string
		wantErr   error
		wantHub   bool
		wantEvent bool
		wantSegs  int
	}{
		{DefaultPath, nil, true, false, 4},
		{"/", nil, false, false, 0},
		{"/eventhandler", nil, false, false, 1},
		{"/eventhandler/{event}", nil, false, true, 2},
		{"/x/{hub}/{event}/", nil, true, true, 3},
		{"//a///b/", nil, false, false, 2},
		{"", ErrInvalidPath, false, false, 0},
		{"api/{hub}", ErrInvalidPath, false, false, 0},
		{"/a/{hub}/{hub}", ErrInvalidPath, false, false, 0},
		{"/a/{event}/{event}", ErrInvalidPath, false, false, 0},
		{"/a/hub-{hub}", ErrInvalidPath, false, false, 0},
		{"/a/{other}", ErrInvalidPath, false, false, 0},
		{"/a/}", ErrInvalidPath, false, false, 0},
		{"/a?x=1", ErrInvalidPath, false, false, 0},
		{"/a#frag", ErrInvalidPath, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := compilePath(tt.path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("compilePath(%q) error = %v, want %v", tt.path, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if p.hasHub != tt.wantHub || p.hasEvent != tt.wantEvent || len(p.segments) != tt.wantSegs {
				t.Errorf("compilePath(%q) = hub %v event %v %d segments, want %v %v %d",
					tt.path, p.hasHub, p.hasEvent, len(p.segments), tt.wantHub, tt.wantEvent, tt.wantSegs)
			}
		})
	}
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		wantHub string
		wantOK  bool
	}{
		// The JavaScript SDK's default: lower-cased prefix match with a trailing slash.
		{DefaultPath, "/api/webpubsub/hubs/chat/", "chat", true},
		{DefaultPath, "/api/webpubsub/hubs/chat", "chat", true},
		{DefaultPath, "/api/webpubsub/hubs/chat/connect", "chat", true},
		{DefaultPath, "/api/webpubsub/hubs/chat/a/b/c", "chat", true},
		{DefaultPath, "/API/WebPubSub/Hubs/Chat/connect", "Chat", true},
		{DefaultPath, "/api/webpubsub/hubs/", "", false},
		{DefaultPath, "/api/webpubsub/hubs", "", false},
		{DefaultPath, "/api/webpubsub/hubsx/chat", "", false},
		{DefaultPath, "/apix/webpubsub/hubs/chat", "", false},
		{DefaultPath, "/", "", false},
		{DefaultPath, "", "", false},
		{DefaultPath, "/other", "", false},
		{"/", "/anything/at/all", "", true},
		{"/", "/", "", true},
		{"/eventhandler", "/eventhandler/connect", "", true},
		{"/eventhandler", "/eventhandlers/connect", "", false},
		{"/eventhandler/{event}", "/eventhandler/connect", "", true},
		{"/eventhandler/{event}", "/eventhandler/", "", false},
		{"/x/{hub}/{event}", "/x/chat/message", "chat", true},
		{"/x/{hub}/{event}", "/x/chat", "", false},
		{"/x/{event}/{hub}", "/x/connect/chat/more", "chat", true},
		{DefaultPath, "//api//webpubsub/hubs/chat", "chat", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.path, func(t *testing.T) {
			p, err := compilePath(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			hub, ok := p.match(tt.path)
			if hub != tt.wantHub || ok != tt.wantOK {
				t.Errorf("match(%q) = %q, %v, want %q, %v", tt.path, hub, ok, tt.wantHub, tt.wantOK)
			}
		})
	}
}

func TestPatternMatchAllocs(t *testing.T) {
	p, err := compilePath(DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() { p.match("/api/webpubsub/hubs/chat/message") })
	if allocs != 0 {
		t.Errorf("match allocates %v times per call, want 0", allocs)
	}
}

func TestPatternExpand(t *testing.T) {
	tests := []struct {
		pattern, hub, want string
	}{
		{DefaultPath, "chat", "/api/webpubsub/hubs/chat/{event}"},
		{"/", "chat", "/{event}"},
		{"/eventhandler/{event}", "chat", "/eventhandler/{event}"},
		{"/x/{hub}/{event}/y", "a b", "/x/a%20b/{event}/y"},
	}
	for _, tt := range tests {
		p, err := compilePath(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.expand(tt.hub); got != tt.want {
			t.Errorf("expand(%q, %q) = %q, want %q", tt.pattern, tt.hub, got, tt.want)
		}
	}
}

// FuzzPath checks that compiling and matching any pattern and path never panics, and that a
// pattern always matches its own expansion, with the hub it was expanded for.
func FuzzPath(f *testing.F) {
	f.Add(DefaultPath, "/api/webpubsub/hubs/chat/connect", "chat")
	f.Add("/eventhandler/{event}", "/eventhandler/", "x")
	f.Add("/{hub}/{event}", "//a//b", "h")
	f.Add("/a/{b}", "/a/{b}", "")
	f.Add("/", "", "ü")
	f.Fuzz(func(t *testing.T, pat, path, hub string) {
		p, err := compilePath(pat)
		if err != nil {
			return
		}
		p.match(path)
		if hub == "" || strings.ContainsAny(hub, "/{}") || strings.Contains(pat, "%") {
			return
		}
		// Echo matches decoded paths: unescape the expansion, then put an event name where
		// the service would.
		exp, err := url.PathUnescape(p.expand(hub))
		if err != nil {
			t.Fatalf("expand(%q) = %q: %v", hub, p.expand(hub), err)
		}
		exp = strings.ReplaceAll(exp, placeholderEvent, "message")
		got, ok := p.match(exp)
		if !ok || (p.hasHub && got != hub) {
			t.Fatalf("pattern %q: match(%q) = %q, %v, want %q, true", pat, exp, got, ok, hub)
		}
	})
}

// FuzzMiddleware sends requests with arbitrary paths, methods and hub headers through the
// middleware (default path and a shared path): it never panics, and a request without the
// Web PubSub headers always reaches next.
func FuzzMiddleware(f *testing.F) {
	f.Add("/api/webpubsub/hubs/chat/message", "POST", "chat", true)
	f.Add("/api/webpubsub/hubs/CHAT", "OPTIONS", "", true)
	f.Add("/eventhandler/x", "POST", "news", true)
	f.Add("/api/webpubsub/hubs/other/", "GET", "chat", false)
	f.Add("//", "PUT", "\x00", true)
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{testConnectionString}})
	if err != nil {
		f.Fatal(err)
	}
	mws := []echo.MiddlewareFunc{
		WebPubSub(hub),
		WebPubSubWithConfig(Config{Hubs: []*handler.Hub{hub}, Path: "/eventhandler/{event}"}),
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, path, method, ceHub string, marked bool) {
		if !strings.HasPrefix(path, "/") || !validToken(method) {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = method
		req.URL.Path = path
		if marked {
			req.Header.Set(wire.HeaderAwpsVersion, wire.AwpsVersion)
		}
		if ceHub != "" {
			req.Header[http.CanonicalHeaderKey(wire.HeaderHub)] = []string{ceHub}
		}
		for _, mw := range mws {
			called := false
			next := func(echo.Context) error { called = true; return nil }
			_ = mw(next)(e.NewContext(req, httptest.NewRecorder()))
			if !marked && !called {
				t.Fatalf("%s %q without Web PubSub headers did not reach next", method, path)
			}
		}
	})
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}
