package emulator

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenClockSkew is the leeway applied to the exp and nbf claims of every token the emulator
// verifies (client access tokens and REST access-key tokens).
const TokenClockSkew = 5 * time.Minute

// Token verification failures. Errors returned by the emulator's token checks wrap exactly one
// of them; match with [errors.Is].
var (
	// ErrTokenMissing: no token was presented.
	ErrTokenMissing = errors.New("webpubsub: access token missing")
	// ErrTokenMalformed: not a parsable JWT, or not HS256.
	ErrTokenMalformed = errors.New("webpubsub: access token malformed")
	// ErrTokenSignature: the signature matches none of the access keys.
	ErrTokenSignature = errors.New("webpubsub: access token signature invalid")
	// ErrTokenExpired: exp is missing or in the past (beyond [TokenClockSkew]).
	ErrTokenExpired = errors.New("webpubsub: access token expired")
	// ErrTokenNotYetValid: nbf is in the future (beyond [TokenClockSkew]).
	ErrTokenNotYetValid = errors.New("webpubsub: access token not yet valid")
	// ErrTokenAudience: aud names none of the accepted audiences.
	ErrTokenAudience = errors.New("webpubsub: access token audience invalid")
)

// verifyToken checks an HS256 JWT signed with any of the emulator's access keys, its exp
// (required) and nbf with [TokenClockSkew], and that its aud claim (a string or an array)
// names one of audiences after normalisation (see normalizeAudience). With no audiences the
// audience is not checked. Errors wrap one of the ErrToken* sentinels.
func (e *Emulator) verifyToken(token string, audiences ...string) (jwt.MapClaims, error) {
	if token == "" {
		return nil, ErrTokenMissing
	}
	keys := make([]jwt.VerificationKey, len(e.keys))
	for i, k := range e.keys {
		keys[i] = []byte(k)
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims,
		func(*jwt.Token) (any, error) { return jwt.VerificationKeySet{Keys: keys}, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithLeeway(TokenClockSkew),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(e.now),
	)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, fmt.Errorf("%w: %v", ErrTokenExpired, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, fmt.Errorf("%w: %v", ErrTokenNotYetValid, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		if strings.Contains(err.Error(), "signing method") {
			return nil, fmt.Errorf("%w: %v", ErrTokenMalformed, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrTokenSignature, err)
	default:
		return nil, fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	if len(audiences) == 0 {
		return claims, nil
	}
	auds, err := claims.GetAudience()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenAudience, err)
	}
	for _, a := range auds {
		na, ok := normalizeAudience(a)
		if !ok {
			continue
		}
		for _, want := range audiences {
			if nw, ok := normalizeAudience(want); ok && nw == na {
				return claims, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: got %q", ErrTokenAudience, auds)
}

// normalizeAudience maps a URL to the form audiences are compared in: ws/wss become
// http/https, lower case (hub names are case-insensitive), the default port dropped, query, fragment and
// trailing slashes dropped, the path kept as escaped.
func normalizeAudience(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "ws":
		scheme = "http"
	case "wss":
		scheme = "https"
	case "http", "https":
	default:
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	// Hub names are case-insensitive, so the whole audience is compared in lower case.
	return scheme + "://" + host + strings.ToLower(strings.TrimRight(u.EscapedPath(), "/")), true
}

// audiencesFor returns the audiences accepted for path (an escaped absolute path, e.g.
// /client/hubs/chat): path on the public endpoint's host and, as behind reverse proxies, on the
// request's own host, each with scheme http and https (ws and wss normalise to those).
func (e *Emulator) audiencesFor(requestHost, path string) []string {
	hosts := make([]string, 0, 2)
	if e.endpoint != nil {
		hosts = append(hosts, e.endpoint.Host)
	}
	if requestHost != "" && (e.endpoint == nil || !strings.EqualFold(requestHost, e.endpoint.Host)) {
		hosts = append(hosts, requestHost)
	}
	out := make([]string, 0, 2*len(hosts))
	for _, h := range hosts {
		out = append(out, "http://"+h+path, "https://"+h+path)
	}
	return out
}
