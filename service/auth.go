package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	cache map[string]cachedToken
}

type cachedToken struct {
	token string
	renew time.Time
}

func newKeySigner(key *azcore.KeyCredential, now func() time.Time) *keySigner {
	return &keySigner{reader: newKeyReader(key), now: now, cache: make(map[string]cachedToken)}
}

// requestToken returns a bearer token for a REST request whose full URL (query included)
// is aud: the claims are exactly aud, iat and exp.
func (s *keySigner) requestToken(aud string) (string, error) {
	key, err := s.reader.get()
	if err != nil {
		return "", err
	}
	now := s.now()
	s.mu.Lock()
	if key != s.key {
		clear(s.cache)
		s.key = key
	}
	if t, ok := s.cache[aud]; ok && now.Before(t.renew) {
		s.mu.Unlock()
		return t.token, nil
	}
	s.mu.Unlock()
	tok, err := sign(key, jwt.MapClaims{
		"aud": aud,
		"iat": now.Unix(),
		"exp": now.Add(requestTokenLifetime).Unix(),
	})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if key == s.key {
		if len(s.cache) >= requestTokenCacheSize {
			clear(s.cache)
		}
		s.cache[aud] = cachedToken{token: tok, renew: now.Add(requestTokenLifetime - requestTokenRenew)}
	}
	s.mu.Unlock()
	return tok, nil
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
type keyPolicy struct{ signer *keySigner }

func (p *keyPolicy) Do(req *policy.Request) (*http.Response, error) {
	tok, err := p.signer.requestToken(req.Raw().URL.String())
	if err != nil {
		return nil, err
	}
	req.Raw().Header.Set("Authorization", "Bearer "+tok)
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
	h.Del(keyScratchHeader)
	_, _ = r.pol.Do(req) // the policy sets the header, then fails on "no more policies"
	v := h.Get(keyScratchHeader)
	if v == "" {
		return "", errors.New("webpubsub: access key is empty")
	}
	return v, nil
}
