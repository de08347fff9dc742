package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Client token defaults and bounds of :generateToken.
const (
	defaultTokenMinutes = 60
	maxTokenMinutes     = 2147483647
	tokenIssuer         = "https://webpubsub.azure.com"
)

// generateToken mints a client access token like the service: HS256 signed with the
// primary access key, claims sub (userId), role (array), webpubsub.group (array), nbf, iat,
// exp (nbf + minutesToExpire, default 60), iss and aud (the client endpoint of the hub:
// /client/hubs/{hub}, or /clients/mqtt/hubs/{hub} for clientType MQTT). Validation
// failures answer 400 with the shape-B body as application/json, as recorded.
func (c *restCall) generateToken() {
	minutes := defaultTokenMinutes
	if s, ok := c.query.get("minutesToExpire"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTokenMinutes {
			c.validationErrorAs(contentTypeJSONUTF8, "minutesToExpire", "The value '"+s+"' is not valid.")
			return
		}
		minutes = n
	}
	path := "/client/hubs/"
	if ct, ok := c.query.get("clientType"); ok {
		switch strings.ToLower(ct) {
		case "default":
		case "mqtt":
			path = "/clients/mqtt/hubs/"
		default:
			c.validationErrorAs(contentTypeJSONUTF8, "clientType", "The value '"+ct+"' is not valid.")
			return
		}
	}
	now := c.e.now()
	claims := jwt.MapClaims{
		"nbf": now.Unix(),
		"iat": now.Unix(),
		"exp": now.Unix() + int64(minutes)*int64(time.Minute/time.Second),
		"iss": tokenIssuer,
		"aud": c.publicBase() + path + url.PathEscape(c.hubName),
	}
	if u, _ := c.query.get("userId"); u != "" {
		claims["sub"] = u
	}
	if roles := c.query.all("role"); len(roles) > 0 {
		claims["role"] = roles
	}
	if groups := c.query.all("group"); len(groups) > 0 {
		claims["webpubsub.group"] = groups
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["cty"] = "JWT"
	signed, err := tok.SignedString([]byte(c.e.keys[0]))
	if err != nil { // HS256 with a []byte key does not fail
		c.serviceError(http.StatusInternalServerError, "Error.InternalServerError", "Signing the token failed.", "Request")
		return
	}
	c.hubHeaders()
	c.w.Header().Set("Content-Type", contentTypeJSONUTF8)
	c.status = http.StatusOK
	c.w.WriteHeader(http.StatusOK)
	// The service sends this body chunked, without Content-Length.
	_ = http.NewResponseController(c.w).Flush()
	_, _ = c.w.Write(compactJSON(struct {
		Token string `json:"token"`
	}{signed}))
}
