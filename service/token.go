package service

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/golang-jwt/jwt/v5"
)

// ClientProtocol selects the kind of client a client access token is for.
type ClientProtocol string

// Client protocols. The zero value means [ClientProtocolDefault].
const (
	// ClientProtocolDefault is for WebSocket clients, plain or with a PubSub
	// subprotocol: /client/hubs/{hub}.
	ClientProtocolDefault ClientProtocol = "default"
	// ClientProtocolMQTT is for MQTT-over-WebSocket clients: /clients/mqtt/hubs/{hub}.
	ClientProtocolMQTT ClientProtocol = "mqtt"
	// ClientProtocolSocketIO is for Web PubSub for Socket.IO resources:
	// /clients/socketio/hubs/{hub}.
	ClientProtocolSocketIO ClientProtocol = "socketio"
)

// DefaultTokenLifetime is the lifetime of a client access token when
// ClientAccessTokenOptions.ExpiresAfter is zero.
const DefaultTokenLifetime = time.Hour

// ClaimGroup is the JWT claim holding the groups a client joins on connect.
const ClaimGroup = "webpubsub.group"

// ClaimRole is the JWT claim holding a client's roles.
const ClaimRole = "role"

// ClientAccessTokenOptions are the options of [Client.ClientAccessToken]. The zero value
// gives an anonymous (no user id) default-protocol token valid for one hour.
type ClientAccessTokenOptions struct {
	// UserID becomes the token's sub claim. Default: none.
	UserID string
	// Roles, e.g. "webpubsub.joinLeaveGroup.lobby" or "webpubsub.sendToGroup".
	Roles []string
	// Groups the connection joins when it connects.
	Groups []string
	// ExpiresAfter is the token lifetime; default [DefaultTokenLifetime]. Under Entra ID it
	// is rounded up to whole minutes (at least one). Negative is an error.
	ExpiresAfter time.Duration
	// ClientProtocol selects the client endpoint; default [ClientProtocolDefault].
	ClientProtocol ClientProtocol
}

// ClientAccessToken is a token for a client and the URLs to connect with it. Its String
// and LogValue redact the token.
type ClientAccessToken struct {
	// Token is the JWT.
	Token string
	// BaseURL is the client endpoint without the token, e.g.
	// "wss://contoso.webpubsub.azure.com/client/hubs/chat" (ws:// for an http endpoint).
	BaseURL string
	// URL is BaseURL with ?access_token=<Token>: what a client dials.
	URL string
}

// String returns BaseURL with the token redacted.
func (t ClientAccessToken) String() string { return t.BaseURL + "?access_token=" + redacted }

// LogValue implements slog.LogValuer without the token.
func (t ClientAccessToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("baseUrl", t.BaseURL), slog.String("token", redacted))
}

// clientPath returns the client endpoint path of the protocol. The hub name is not
// escaped, as in the JS and .NET SDKs (hub names hold only letters, digits and _`,.[]), so
// the token audience matches theirs byte for byte.
func clientPath(p ClientProtocol, hub string) (string, error) {
	switch ClientProtocol(strings.ToLower(string(p))) {
	case "", ClientProtocolDefault:
		return "/client/hubs/" + hub, nil
	case ClientProtocolMQTT:
		return "/clients/mqtt/hubs/" + hub, nil
	case ClientProtocolSocketIO:
		return "/clients/socketio/hubs/" + hub, nil
	}
	return "", fmt.Errorf("%w: unknown client protocol %q", ErrInvalidArgument, string(p))
}

// ClientAccessToken returns a client access token and URL for the hub. With an access
// key the token is signed locally (HS256; claims aud = the http(s) client URL, iat, exp,
// and sub, role, webpubsub.group when given). With Entra ID it is fetched from the
// service's generateToken operation (POST /api/hubs/{hub}/:generateToken); a failure there
// is an *azcore.ResponseError. The URL uses ws:// for an http endpoint and wss:// for
// https, and the connection string's ClientEndpoint when it has one.
func (c *Client) ClientAccessToken(ctx context.Context, opts *ClientAccessTokenOptions) (ClientAccessToken, error) {
	var o ClientAccessTokenOptions
	if opts != nil {
		o = *opts
	}
	if o.ExpiresAfter < 0 {
		return ClientAccessToken{}, fmt.Errorf("%w: ExpiresAfter %v is negative", ErrInvalidArgument, o.ExpiresAfter)
	}
	if o.ExpiresAfter == 0 {
		o.ExpiresAfter = DefaultTokenLifetime
	}
	path, err := clientPath(o.ClientProtocol, c.hub)
	if err != nil {
		return ClientAccessToken{}, err
	}
	var tok string
	if c.signer != nil {
		tok, err = c.signClientToken(c.clientEndpoint+path, o)
	} else {
		tok, err = c.generateToken(ctx, o)
	}
	if err != nil {
		return ClientAccessToken{}, err
	}
	base := wsScheme(c.clientEndpoint) + path
	return ClientAccessToken{Token: tok, BaseURL: base, URL: base + "?access_token=" + url.QueryEscape(tok)}, nil
}

// wsScheme turns http(s):// into ws(s)://.
func wsScheme(endpoint string) string {
	if rest, ok := strings.CutPrefix(endpoint, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(endpoint, "http://"); ok {
		return "ws://" + rest
	}
	return endpoint
}

func (c *Client) signClientToken(aud string, o ClientAccessTokenOptions) (string, error) {
	key, err := c.signer.reader.get()
	if err != nil {
		return "", err
	}
	now := c.now()
	claims := jwt.MapClaims{
		"aud": aud,
		"iat": now.Unix(),
		"exp": now.Add(o.ExpiresAfter).Unix(),
	}
	if o.UserID != "" {
		claims["sub"] = o.UserID
	}
	if len(o.Roles) > 0 {
		claims[ClaimRole] = o.Roles
	}
	if len(o.Groups) > 0 {
		claims[ClaimGroup] = o.Groups
	}
	return sign(key, claims)
}

// generateToken calls :generateToken (Entra ID).
func (c *Client) generateToken(ctx context.Context, o ClientAccessTokenOptions) (string, error) {
	q := url.Values{}
	if o.UserID != "" {
		q.Set("userId", o.UserID)
	}
	for _, r := range o.Roles {
		q.Add("role", r)
	}
	for _, g := range o.Groups {
		q.Add("group", g)
	}
	minutes := int64(math.Ceil(o.ExpiresAfter.Minutes()))
	q.Set("minutesToExpire", strconv.FormatInt(max(minutes, 1), 10))
	// clientType exists since api-version 2024-01-01 (versions are dates, so they compare
	// as strings); the service spells the values Default, MQTT, SocketIO.
	hasClientType := c.apiVersion >= "2024-01-01"
	switch ClientProtocol(strings.ToLower(string(o.ClientProtocol))) {
	case ClientProtocolMQTT, ClientProtocolSocketIO:
		if !hasClientType {
			return "", fmt.Errorf("%w: client protocol %q needs api-version 2024-01-01 or later, the client uses %s", ErrInvalidArgument, o.ClientProtocol, c.apiVersion)
		}
		if strings.EqualFold(string(o.ClientProtocol), string(ClientProtocolMQTT)) {
			q.Set("clientType", "MQTT")
		} else {
			q.Set("clientType", "SocketIO")
		}
	default:
		if hasClientType {
			q.Set("clientType", "Default")
		}
	}
	resp, err := c.do(ctx, opGenerateToken, args{}, q, &body{})
	if err != nil {
		return "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &out); err != nil {
		return "", fmt.Errorf("webpubsub: generateToken response: %w", err)
	}
	if out.Token == "" {
		return "", fmt.Errorf("webpubsub: generateToken response (status %d) has no token", resp.StatusCode)
	}
	return out.Token, nil
}

var _ slog.LogValuer = ClientAccessToken{}
