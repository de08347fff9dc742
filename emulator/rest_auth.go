package emulator

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// authenticate checks the access-key JWT of a hub operation: "Authorization: Bearer
// <jwt>", HS256 with one of the access keys, exp (and nbf) valid, and aud naming the
// request URL (see restAudiences). On failure it answers 401 and returns false.
func (c *restCall) authenticate() bool {
	token, ok := bearerToken(c.r.Header.Get("Authorization"))
	if !ok {
		c.unauthorized(ErrTokenMissing)
		return false
	}
	_, err := c.e.verifyToken(token, c.restAudiences()...)
	if err == nil {
		return true
	}
	entra, entraErr := c.e.verifyBearerToken(token)
	switch {
	case entraErr == nil && c.e.cfg.InsecureAcceptBearerTokens:
		c.e.bearerWarn.Do(func() {
			c.e.log.Warn("INSECURE: accepted a Microsoft Entra ID bearer token WITHOUT verifying its signature (Config.InsecureAcceptBearerTokens); never expose this emulator",
				"hub", c.hubName, "oid", entra["oid"], "appid", entra["appid"])
		})
		return true
	case entraErr == nil:
		err = ErrBearerTokenRefused
	case c.e.cfg.InsecureAcceptBearerTokens && (errors.Is(err, ErrTokenSignature) || errors.Is(err, ErrTokenMalformed)):
		// Not an access-key token: say why it fails as an Entra token.
		err = fmt.Errorf("%w: %w", errBearerRejected, entraErr)
	}
	c.unauthorized(err)
	return false
}

// ErrBearerTokenRefused: a REST call carried a Microsoft Entra ID token (its aud is one of
// [Config.BearerTokenAudiences]) but [Config.InsecureAcceptBearerTokens] is off.
var ErrBearerTokenRefused = errors.New("webpubsub: Microsoft Entra ID tokens are not accepted (the emulator cannot verify them; see Config.InsecureAcceptBearerTokens)")

// errBearerRejected marks a token rejected as a Microsoft Entra ID token.
var errBearerRejected = errors.New("webpubsub: Microsoft Entra ID token rejected")

// verifyBearerToken checks what the emulator can of a Microsoft Entra ID token without
// reaching Entra ID: a well-formed JWT (any algorithm; the signature is NOT verified), exp
// present and current, nbf current (both with [TokenClockSkew]), and aud one of
// Config.BearerTokenAudiences. Errors wrap one of the ErrToken* sentinels.
func (e *Emulator) verifyBearerToken(token string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	v := jwt.NewValidator(jwt.WithLeeway(TokenClockSkew), jwt.WithExpirationRequired(), jwt.WithTimeFunc(e.now))
	if err := v.Validate(claims); err != nil {
		if errors.Is(err, jwt.ErrTokenNotValidYet) {
			return nil, fmt.Errorf("%w: %v", ErrTokenNotYetValid, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrTokenExpired, err)
	}
	auds, err := claims.GetAudience()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenAudience, err)
	}
	for _, a := range auds {
		for _, want := range e.cfg.BearerTokenAudiences {
			if strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(want, "/")) {
				return claims, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: got %q", ErrTokenAudience, auds)
}

// bearerToken extracts the token of a Bearer authorization header (scheme
// case-insensitive).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// restAudiences returns the audiences accepted for the request: its URL without query
// (what every SDK signs, query aside) and each shorter path-segment prefix down to
// /api/hubs/{hub} (the documented form), on the public endpoint's host or the request's
// own host, with scheme http or https. A token for one hub is never valid for another.
func (c *restCall) restAudiences() []string {
	path := strings.TrimRight(c.r.URL.EscapedPath(), "/")
	segs := strings.Split(path, "/") // "", "api", "hubs", "{hub}", ...
	var out []string
	for n := len(segs); n >= 4; n-- {
		out = append(out, c.e.audiencesFor(c.r.Host, strings.Join(segs[:n], "/"))...)
	}
	return out
}

// unauthorized answers 401 for a token that failed err. The service's body for this case
// was never recorded; the emulator answers a shape-A error whose message names the reason.
func (c *restCall) unauthorized(err error) {
	reason := "The access token is invalid."
	switch {
	case errors.Is(err, errBearerRejected):
		reason = "The token is neither signed with an access key nor an acceptable Microsoft Entra ID token: " + err.Error()
	case errors.Is(err, ErrBearerTokenRefused):
		reason = "The access token is a Microsoft Entra ID token, which the emulator cannot verify. Use the access key (connection string), or start the emulator with Config.InsecureAcceptBearerTokens (-insecure-accept-bearer-tokens) to accept such tokens unverified."
	case errors.Is(err, ErrTokenMissing):
		reason = "The request has no access token: send Authorization: Bearer <JWT signed with the access key>."
	case errors.Is(err, ErrTokenExpired):
		reason = "The access token is expired or has no exp claim."
	case errors.Is(err, ErrTokenNotYetValid):
		reason = "The access token is not yet valid (nbf)."
	case errors.Is(err, ErrTokenSignature):
		reason = "The access token signature matches none of the access keys."
	case errors.Is(err, ErrTokenAudience):
		reason = "The access token audience does not match the request URL."
	case errors.Is(err, ErrTokenMalformed):
		reason = "The access token is not a valid HS256 JWT."
	}
	c.e.log.LogAttrs(c.r.Context(), slog.LevelWarn, "rest call rejected",
		slog.String("hub", c.hubName), slog.String("path", c.r.URL.EscapedPath()), slog.String("reason", err.Error()))
	c.w.Header().Set("WWW-Authenticate", "Bearer")
	c.serviceError(http.StatusUnauthorized, "Error.Unauthorized", reason, "Authorization")
}
