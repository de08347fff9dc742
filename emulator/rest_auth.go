package emulator

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
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
	if _, err := c.e.verifyToken(token, c.restAudiences()...); err != nil {
		c.unauthorized(err)
		return false
	}
	return true
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
