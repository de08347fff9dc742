package main

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The app's own tokens: what its sign-in would issue. They are not Web PubSub tokens; the
// service never sees their key. The connect handler verifies them and turns their claims into
// a user id and group-scoped Web PubSub roles.
const (
	appIssuer   = "roles-example"
	appAudience = "roles-example/webpubsub"
	maxTokenLen = 4096 // longer app tokens are refused before parsing
)

// validGroup is the shape of group names a token may grant.
var validGroup = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ErrAppToken wraps every reason an app token is refused.
var ErrAppToken = errors.New("invalid app token")

// appClaims are the claims of an app token.
type appClaims struct {
	// Join lists the groups the user may join and leave.
	Join []string `json:"join,omitempty"`
	// Send lists the groups the user may publish to.
	Send []string `json:"send,omitempty"`
	jwt.RegisteredClaims
}

// appTokens issues and verifies app tokens with one HMAC key.
type appTokens struct {
	key []byte
	now func() time.Time
}

// issue returns a token for user with the given permissions, valid for ttl (negative: already
// expired, for demonstrations and tests).
func (a *appTokens) issue(user string, join, send []string, ttl time.Duration) (string, error) {
	now := a.now()
	claims := appClaims{
		Join: join,
		Send: send,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    appIssuer,
			Audience:  jwt.ClaimStrings{appAudience},
			Subject:   user,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
}

// verify checks signature (HS256 only), issuer, audience and expiry (required), and that the
// subject and groups are well formed. Every failure wraps ErrAppToken.
func (a *appTokens) verify(token string) (*appClaims, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: missing (pass it as app_token in the connection URL)", ErrAppToken)
	}
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrAppToken, maxTokenLen)
	}
	claims := new(appClaims)
	_, err := jwt.ParseWithClaims(token, claims,
		func(*jwt.Token) (any, error) { return a.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(appIssuer),
		jwt.WithAudience(appAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(a.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAppToken, err)
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrAppToken)
	}
	for _, g := range append(append([]string(nil), claims.Join...), claims.Send...) {
		if !validGroup.MatchString(g) {
			return nil, fmt.Errorf("%w: group %q is not 1-64 letters, digits, '.', '-' or '_'", ErrAppToken, g)
		}
	}
	return claims, nil
}

// Web PubSub role prefixes for one group (client-protocol: permissions).
const (
	roleJoinLeaveGroup = "webpubsub.joinLeaveGroup."
	roleSendToGroup    = "webpubsub.sendToGroup."
)

// roles maps the claims to group-scoped Web PubSub roles.
func (c *appClaims) roles() []string {
	roles := make([]string, 0, len(c.Join)+len(c.Send))
	for _, g := range c.Join {
		roles = append(roles, roleJoinLeaveGroup+g)
	}
	for _, g := range c.Send {
		roles = append(roles, roleSendToGroup+g)
	}
	return roles
}
