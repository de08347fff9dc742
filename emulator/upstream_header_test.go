package emulator

import (
	"net/http"
	"sync"
	"testing"

	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

// headerRecorder is a RoundTripper that records the headers of every request it forwards.
type headerRecorder struct {
	mu   sync.Mutex
	reqs []http.Header
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.reqs = append(h.reqs, r.Header.Clone())
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestUpstreamHeadersCanonical checks that upstream requests carry canonical header keys, so
// that an http.Client transport reads them with Header.Get.
func TestUpstreamHeadersCanonical(t *testing.T) {
	up := newUpstream(t)
	rec := &headerRecorder{}
	s := startEmulator(t, Config{HTTPClient: &http.Client{Transport: rec}},
		service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "u"})
	up.next("connected")

	rec.mu.Lock()
	reqs := rec.reqs
	rec.mu.Unlock()
	if len(reqs) < 3 { // OPTIONS, connect, connected
		t.Fatalf("recorded %d upstream requests, want at least 3", len(reqs))
	}
	for i, h := range reqs {
		for k := range h {
			if k != http.CanonicalHeaderKey(k) {
				t.Errorf("request %d: header key %q is not canonical", i, k)
			}
		}
		for _, name := range []string{wire.HeaderRequestOrigin, wire.HeaderAwpsVersion, wire.HeaderHub} {
			if h.Get(name) == "" {
				t.Errorf("request %d: Header.Get(%q) is empty", i, name)
			}
		}
	}
	post := reqs[len(reqs)-1]
	for _, name := range []string{wire.HeaderSpecVersion, wire.HeaderType, wire.HeaderSource, wire.HeaderID, wire.HeaderTime,
		wire.HeaderConnectionID, wire.HeaderEventName, wire.HeaderSignature, wire.HeaderUserID} {
		if post.Get(name) == "" {
			t.Errorf("connected event: Header.Get(%q) is empty", name)
		}
	}
	if post.Get(wire.HeaderUserID) != "u" || post.Get(wire.HeaderHub) != "chat" {
		t.Errorf("connected event headers %v", post)
	}
}
