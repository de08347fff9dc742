package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/golang-jwt/jwt/v5"
)

// Access-key JWT limits. Tokens live one hour (as in the JS and Go SDKs) and are reused
// until five minutes before they expire; at most requestTokenCacheSize audiences are
// cached (a full cache is emptied, which costs one signature per following request).
const (
	requestTokenLifetime  = time.Hour
	requestTokenRenew     = 5 * time.Minute
	requestTokenCacheSize = 1024
)

// keySigner signs HS256 JWTs with the current value of an azcore.KeyCredential and
// caches request tokens per audience. It is safe for concurrent use.
type keySigner struct {
	reader keyReader
	now    func() time.Time

	mu    sync.Mutex
	key   string // key the cached tokens were signed with
	cache map[url.URL]cachedToken
}

// cachedToken is a signed request token and its Authorization header value. The cache is
// keyed by the parsed request URL (a comparable struct), so that a hit costs neither
// URL.String nor the header concatenation.
type cachedToken struct {
	token string
	auth  string // "Bearer " + token
	renew time.Time
}

func newKeySigner(key *azcore.KeyCredential, now func() time.Time) *keySigner {
	return &keySigner{reader: newKeyReader(key), now: now, cache: make(map[url.URL]cachedToken)}
}

// requestToken returns a bearer token for a REST request whose full URL (query included)
// is aud: the claims are exactly aud, iat and exp.
func (s *keySigner) requestToken(aud string) (string, error) {
	u, err := url.Parse(aud)
	if err != nil {
		return "", fmt.Errorf("webpubsub: token audience: %w", err)
	}
	t, err := s.tokenFor(u)
	return t.token, err
}

// tokenFor returns the token whose audience is u.String(), from the cache when a token
// for the same URL was signed with the current key and is not due for renewal.
func (s *keySigner) tokenFor(u *url.URL) (cachedToken, error) {
	key, err := s.reader.get()
	if err != nil {
		return cachedToken{}, err
	}
	now := s.now()
	// A URL with user info holds a pointer: equal URLs would not compare equal, so such
	// (unusual) URLs are signed every time rather than filling the cache.
	cacheable := u.User == nil
	s.mu.Lock()
	if key != s.key {
		clear(s.cache)
		s.key = key
	}
	if t, ok := s.cache[*u]; ok && cacheable && now.Before(t.renew) {
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()
	tok, err := sign(key, jwt.MapClaims{
		"aud": u.String(),
		"iat": now.Unix(),
		"exp": now.Add(requestTokenLifetime).Unix(),
	})
	if err != nil {
		return cachedToken{}, err
	}
	t := cachedToken{token: tok, auth: "Bearer " + tok, renew: now.Add(requestTokenLifetime - requestTokenRenew)}
	if !cacheable {
		return t, nil
	}
	s.mu.Lock()
	if key == s.key {
		if len(s.cache) >= requestTokenCacheSize {
			clear(s.cache)
		}
		s.cache[*u] = t
	}
	s.mu.Unlock()
	return t, nil
}

// sign signs claims with HS256 and the UTF-8 bytes of key. The header is
// {"alg":"HS256","typ":"JWT"}, no kid.
func sign(key string, claims jwt.MapClaims) (string, error) {
	if key == "" {
		return "", errors.New("webpubsub: access key is empty")
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		return "", fmt.Errorf("webpubsub: signing token: %w", err)
	}
	return tok, nil
}

// keyPolicy is the pipeline policy for access-key auth: it signs the final request URL.
// Unless a reverse proxy policy follows it (which then does it), it also hands net/http
// the in-memory body (see [inMemoryBody]), sparing the pipeline one more policy.
type keyPolicy struct {
	signer   *keySigner
	fillBody bool
	query    string // deferred query, see restoreQuery
}

func (p *keyPolicy) Do(req *policy.Request) (*http.Response, error) {
	restoreQuery(req, p.query)
	t, err := p.signer.tokenFor(req.Raw().URL)
	if err != nil {
		return nil, err
	}
	req.Raw().Header.Set("Authorization", t.auth)
	if p.fillBody {
		inMemoryBody(req)
	}
	return req.Next()
}

// keyReader reads the current value of an azcore.KeyCredential. azcore exposes the value
// only to its own KeyCredentialPolicy, so the reader lets that policy write the key into
// a scratch request and reads it back; scratch requests are pooled. Reading on every use
// makes KeyCredential.Update take effect on the next request.
type keyReader struct {
	pol  *runtime.KeyCredentialPolicy
	pool *sync.Pool
}

const keyScratchHeader = "X-Webpubsub-Key"

func newKeyReader(key *azcore.KeyCredential) keyReader {
	return keyReader{
		pol: runtime.NewKeyCredentialPolicy(key, keyScratchHeader, &runtime.KeyCredentialPolicyOptions{InsecureAllowCredentialWithHTTP: true}),
		pool: &sync.Pool{New: func() any {
			req, err := runtime.NewRequest(context.Background(), http.MethodGet, "http://key.invalid/")
			if err != nil {
				return nil
			}
			return req
		}},
	}
}

func (r keyReader) get() (string, error) {
	req, _ := r.pool.Get().(*policy.Request)
	if req == nil {
		return "", errors.New("webpubsub: cannot read the access key")
	}
	defer r.pool.Put(req)
	h := req.Raw().Header
	// Truncate rather than delete: the policy appends the key into the same array.
	h[keyScratchHeader] = h[keyScratchHeader][:0]
	_, _ = r.pol.Do(req) // the policy adds the header, then fails on "no more policies"
	v := h[keyScratchHeader]
	if len(v) != 1 || v[0] == "" {
		return "", errors.New("webpubsub: access key is empty")
	}
	return v[0], nil
}
