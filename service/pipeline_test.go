package service

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Tests of the per-call cost cuts (bench/service/RESULTS.md): the deferred query, the
// merged in-memory body policy and the skipped body download must not change what is
// sent, signed, logged or returned.

// urlRecorder is a caller's policy that records the query of every request it sees.
type urlRecorder struct {
	mu      sync.Mutex
	queries []string
}

func (r *urlRecorder) Do(req *policy.Request) (*http.Response, error) {
	r.mu.Lock()
	r.queries = append(r.queries, req.Raw().URL.RawQuery)
	r.mu.Unlock()
	return req.Next()
}

func (r *urlRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.queries...)
}

// TestQueryOnEveryTry sends calls with a query through a 503 and a retry, with and
// without callers' policies, and checks the query on the wire, the token audience on
// both tries, and the URL the callers' policies see.
func TestQueryOnEveryTry(t *testing.T) {
	withOptions := &SendToAllOptions{Excluded: []string{"c 1", "c&2"}, Filter: "userId eq 'a'", MessageTTLSeconds: 7}
	tests := []struct {
		name      string
		opts      *SendToAllOptions
		perCall   bool // a caller's per-call policy (the query is then not deferred)
		perRetry  bool // a caller's per-retry policy
		wantQuery url.Values
	}{
		{name: "api-version only", wantQuery: url.Values{"api-version": {DefaultAPIVersion}}},
		{name: "api-version only, caller per-retry policy", perRetry: true, wantQuery: url.Values{"api-version": {DefaultAPIVersion}}},
		{name: "api-version only, caller per-call policy", perCall: true, wantQuery: url.Values{"api-version": {DefaultAPIVersion}}},
		{name: "api-version only, both", perCall: true, perRetry: true, wantQuery: url.Values{"api-version": {DefaultAPIVersion}}},
		{name: "options", opts: withOptions, perRetry: true,
			wantQuery: url.Values{"api-version": {DefaultAPIVersion}, "excluded": {"c 1", "c&2"}, "filter": {"userId eq 'a'"}, "messageTtlSeconds": {"7"}}},
		{name: "options, caller per-call policy", opts: withOptions, perCall: true,
			wantQuery: url.Values{"api-version": {DefaultAPIVersion}, "excluded": {"c 1", "c&2"}, "filter": {"userId eq 'a'"}, "messageTtlSeconds": {"7"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeService(t, reply{status: 503, header: map[string]string{"Retry-After": "0"}}, reply{status: 202})
			opts := &ClientOptions{}
			var perCall, perRetry urlRecorder
			if tc.perCall {
				opts.PerCallPolicies = []policy.Policy{&perCall}
			}
			if tc.perRetry {
				opts.PerRetryPolicies = []policy.Policy{&perRetry}
			}
			c := newTestClient(t, f.srv.URL, opts)
			if deferred := c.deferredQuery != ""; deferred == tc.perCall {
				t.Errorf("query deferred = %v with caller per-call policies %v", deferred, tc.perCall)
			}
			if _, err := c.SendToAll(t.Context(), Text("x"), tc.opts); err != nil {
				t.Fatal(err)
			}
			reqs := f.requests()
			if len(reqs) != 2 {
				t.Fatalf("sent %d requests, want 2 (one retry)", len(reqs))
			}
			for i, r := range reqs {
				if r.Query.Encode() != tc.wantQuery.Encode() {
					t.Errorf("try %d: query = %q, want %q", i+1, r.RawQuery, tc.wantQuery.Encode())
				}
				claims := verifyJWT(t, r.Header.Get("Authorization"), testKey)
				if claims["aud"] != r.URL {
					t.Errorf("try %d: aud = %v, want the request URL %q", i+1, claims["aud"], r.URL)
				}
			}
			if tc.perCall {
				if got := perCall.seen(); len(got) != 1 || got[0] != reqs[0].RawQuery {
					t.Errorf("per-call policy saw queries %q, want once %q", got, reqs[0].RawQuery)
				}
			}
			if tc.perRetry {
				if got := perRetry.seen(); len(got) != 2 || got[0] != reqs[0].RawQuery || got[1] != reqs[1].RawQuery {
					t.Errorf("per-retry policy saw queries %q, want twice %q", got, reqs[0].RawQuery)
				}
			}
		})
	}
}

// TestRequestLogKeepsQuery checks that azcore's request log still shows the query
// (api-version) and redacts the Authorization header. Only the retry policy's "Try=N"
// line shows the path without the query (documented on restoreQuery).
func TestRequestLogKeepsQuery(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	azlog.SetEvents(azlog.EventRequest, azlog.EventRetryPolicy)
	azlog.SetListener(func(ev azlog.Event, msg string) {
		mu.Lock()
		lines = append(lines, string(ev)+": "+msg)
		mu.Unlock()
	})
	t.Cleanup(func() { azlog.SetListener(nil); azlog.SetEvents() })
	f := newFakeService(t, reply{status: 202})
	c := newTestClient(t, f.srv.URL, nil)
	if _, err := c.SendToAll(t.Context(), Text("x"), nil); err != nil {
		t.Fatal(err)
	}
	azlog.SetListener(nil)
	mu.Lock()
	all := strings.Join(lines, "\n")
	mu.Unlock()
	wantURL := f.srv.URL + "/api/hubs/hub1/:send?api-version=" + DefaultAPIVersion
	if !strings.Contains(all, "POST "+wantURL) {
		t.Errorf("request log lacks %q:\n%s", wantURL, all)
	}
	if !strings.Contains(all, "Authorization: REDACTED") || strings.Contains(all, "Bearer ") {
		t.Errorf("request log must redact the token:\n%s", all)
	}
	if !strings.Contains(all, string(azlog.EventRetryPolicy)+": =====> Try=1 for POST "+f.srv.URL+"/api/hubs/hub1/:send\n") {
		t.Errorf("retry log line missing:\n%s", all)
	}
}

// TestBodyIsKnownInMemoryReaderEveryPipeline extends TestBodyIsKnownInMemoryReader to
// the pipelines where another of our policies hands over the body: Entra ID credential
// (a policy of its own) and reverse proxy (the proxy policy), on every try.
func TestBodyIsKnownInMemoryReaderEveryPipeline(t *testing.T) {
	want := fmt.Sprintf("%T", io.NopCloser(strings.NewReader("")))
	tests := []struct {
		name string
		new  func(opts *ClientOptions) (*Client, error)
	}{
		{name: "key", new: func(o *ClientOptions) (*Client, error) {
			return NewClientWithKey("http://127.0.0.1:1", "hub1", azcore.NewKeyCredential(testKey), o)
		}},
		{name: "key and proxy", new: func(o *ClientOptions) (*Client, error) {
			o.ReverseProxyEndpoint = "http://127.0.0.1:2/apim"
			return NewClientWithKey("http://127.0.0.1:1", "hub1", azcore.NewKeyCredential(testKey), o)
		}},
		{name: "entra", new: func(o *ClientOptions) (*Client, error) {
			o.InsecureAllowCredentialWithHTTP = true
			return NewClient("http://127.0.0.1:1", "hub1", &fakeCredential{}, o)
		}},
		{name: "entra and proxy", new: func(o *ClientOptions) (*Client, error) {
			o.InsecureAllowCredentialWithHTTP = true
			o.ReverseProxyEndpoint = "http://127.0.0.1:2/apim"
			return NewClient("http://127.0.0.1:1", "hub1", &fakeCredential{}, o)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &bodyTypeTransport{}
			opts := &ClientOptions{}
			opts.Transport = tr
			opts.Retry = fastRetry()
			opts.Retry.MaxRetries = 1
			c, err := tc.new(opts)
			if err != nil {
				t.Fatal(err)
			}
			c.SendToAll(t.Context(), Text("hello"), nil)
			if len(tr.types) != 2 || tr.types[0] != want || tr.types[1] != want {
				t.Errorf("body types = %v, want 2 × %s", tr.types, want)
			}
		})
	}
}

// TestUnusedBodyDrained checks the operations that skip azcore's body download: a small
// success body is drained so the connection is reused, a body over maxDiscardedBody
// neither fails the call nor hangs it, and error bodies still reach the ResponseError.
func TestUnusedBodyDrained(t *testing.T) {
	var conns atomic.Int32
	var body atomic.Value
	body.Store("ok")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		b := body.Load().(string)
		if strings.HasPrefix(b, "{") {
			w.Header().Set("x-ms-error-code", "Error.BadRequest")
			w.WriteHeader(http.StatusBadRequest)
		} else {
			w.WriteHeader(http.StatusAccepted)
		}
		io.WriteString(w, b)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, nil)
	for i := range 3 {
		if _, err := c.SendToAll(t.Context(), Text("x"), nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("3 calls with a small success body used %d connections, want 1 (drained and reused)", n)
	}
	body.Store(strings.Repeat("z", 3*maxDiscardedBody))
	if _, err := c.SendToAll(t.Context(), Text("x"), nil); err != nil {
		t.Errorf("large success body: %v", err)
	}
	body.Store(`{"code":"Error.BadRequest","message":"bad filter"}`)
	_, err := c.SendToAll(t.Context(), Text("x"), nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 || !strings.Contains(re.Error(), "bad filter") {
		t.Errorf("error body: err = %v, want a ResponseError 400 carrying the body", err)
	}
}
