package service

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
)

const testKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefgh" // 44 chars, used as text

// captured is one request seen by the fake service.
type captured struct {
	Method      string
	EscapedPath string
	RawQuery    string
	Query       url.Values
	Header      http.Header
	Body        []byte
	URL         string // scheme://host + RequestURI, what the JWT aud must be
	ContentLen  int64
}

// reply is what the fake service answers.
type reply struct {
	status int
	header map[string]string
	body   string
}

// fakeService records requests and answers from a queue (the last reply repeats).
type fakeService struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	reqs    []captured
	replies []reply
}

func newFakeService(t testing.TB, replies ...reply) *fakeService {
	t.Helper()
	f := &fakeService{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	f.reqs = append(f.reqs, captured{
		Method:      r.Method,
		EscapedPath: r.URL.EscapedPath(),
		RawQuery:    r.URL.RawQuery,
		Query:       r.URL.Query(),
		Header:      r.Header.Clone(),
		Body:        b,
		URL:         "http://" + r.Host + r.RequestURI,
		ContentLen:  r.ContentLength,
	})
	rep := reply{status: http.StatusOK}
	if len(f.replies) > 0 {
		rep = f.replies[0]
		if len(f.replies) > 1 {
			f.replies = f.replies[1:]
		}
	}
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeService) requests() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.reqs...)
}

// fastRetry makes retries quick in tests.
func fastRetry() policy.RetryOptions {
	return policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Millisecond}
}

func newTestClient(t testing.TB, endpoint string, opts *ClientOptions) *Client {
	t.Helper()
	if opts == nil {
		opts = &ClientOptions{}
	}
	if opts.Retry.MaxRetries == 0 && opts.Retry.RetryDelay == 0 {
		opts.Retry = fastRetry()
	}
	c, err := NewClientFromConnectionString("Endpoint="+endpoint+";AccessKey="+testKey+";Version=1.0;", "hub1", opts)
	if err != nil {
		t.Fatalf("NewClientFromConnectionString: %v", err)
	}
	return c
}

// verifyJWT checks an "Authorization: Bearer <jwt>" header signed with key and returns the claims.
func verifyJWT(t testing.TB, header, key string) jwt.MapClaims {
	t.Helper()
	const prefix = "Bearer "
	if len(header) <= len(prefix) || header[:len(prefix)] != prefix {
		t.Fatalf("Authorization = %q, want a Bearer token", header)
	}
	return parseJWT(t, header[len(prefix):], key)
}

type jwtClaims = jwt.MapClaims

func parseJWT(t testing.TB, tok, key string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) { return []byte(key), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	if parsed.Header["typ"] != "JWT" || parsed.Header["alg"] != "HS256" || len(parsed.Header) != 2 {
		t.Errorf("JWT header = %v, want exactly alg HS256, typ JWT", parsed.Header)
	}
	return claims
}

// parseJWTAt verifies a token with testKey at the given time.
func parseJWTAt(t testing.TB, tok string, at time.Time) map[string]any {
	t.Helper()
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(testKey), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return at }), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	return claims
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func parseJWTWithKey(t testing.TB, tok, key string, at time.Time) {
	t.Helper()
	_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(key), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return at }))
	if err != nil {
		t.Fatalf("token does not verify with %q: %v", key, err)
	}
}

func parseQuery(q string) (string, error) {
	v, err := url.ParseQuery(q)
	return v.Encode(), err
}
