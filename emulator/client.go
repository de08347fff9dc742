package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// Query parameters of the client endpoint.
const (
	queryAccessToken    = "access_token"
	queryConnectionID   = wire.QueryConnectionID
	queryReconnectToken = wire.QueryReconnectionToken
	queryMode           = "webpubsub_mode"
	queryGroup          = "group"
	modeSendEvent       = "sendEvent"
	modeSendToGroup     = "sendToGroup"
)

// Token claims the emulator honours.
const (
	claimRole  = "role"
	claimGroup = "webpubsub.group"
)

// reserve counts a new connection against MaxConnections.
func (e *Emulator) reserve() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nconns >= e.cfg.MaxConnections {
		return false
	}
	e.nconns++
	if e.nconns == 1 && e.cfg.KeepAliveInterval > 0 && !e.keepAliveRunning {
		e.keepAliveRunning = true
		go e.keepAlive()
	}
	return true
}

// release undoes reserve.
func (e *Emulator) release() {
	e.mu.Lock()
	e.nconns--
	e.mu.Unlock()
}

// connectAnswer is the JSON body of a 200 answer to the connect event.
type connectAnswer struct {
	UserID      *string  `json:"userId"`
	Groups      []string `json:"groups"`
	Roles       []string `json:"roles"`
	Subprotocol *string  `json:"subprotocol"`
}

// connectRequest is the JSON body of the connect event.
type connectRequest struct {
	Claims             map[string][]string `json:"claims"`
	Query              map[string][]string `json:"query"`
	Headers            map[string][]string `json:"headers"`
	Subprotocols       []string            `json:"subprotocols"`
	ClientCertificates []any               `json:"clientCertificates"`
}

// handshakeError is a rejected handshake: the HTTP status and text the client gets.
type handshakeError struct {
	status int
	text   string
}

func reject(w http.ResponseWriter, he handshakeError) {
	http.Error(w, he.text, he.status)
}

// serveClient handles a WebSocket handshake on the client endpoint of hubName.
func (e *Emulator) serveClient(w http.ResponseWriter, r *http.Request, hubName string) {
	if !hubNamePattern.MatchString(hubName) {
		reject(w, handshakeError{http.StatusBadRequest, "invalid hub name"})
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		reject(w, handshakeError{http.StatusBadRequest, "expected a WebSocket upgrade request"})
		return
	}
	q := r.URL.Query()
	if q.Has(queryConnectionID) || q.Has(queryReconnectToken) {
		e.recoverClient(w, r, hubName, q.Get(queryConnectionID), q.Get(queryReconnectToken))
		return
	}
	h := e.hub(hubName)
	settings := e.hubSettings(hubName)

	// 1. Token or anonymous policy.
	token := q.Get(queryAccessToken)
	if token == "" {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			token = strings.TrimSpace(v)
		}
	}
	var claims jwt.MapClaims
	if token != "" {
		var err error
		claims, err = e.verifyToken(token, e.audiencesFor(r.Host, "/client/hubs/"+url.PathEscape(hubName))...)
		if err != nil {
			e.log.Warn("client rejected", "hub", hubName, "error", err)
			reject(w, handshakeError{http.StatusUnauthorized, "Unauthorized: " + err.Error()})
			return
		}
	} else if !settings.AllowAnonymous {
		e.log.Warn("client rejected", "hub", hubName, "error", ErrTokenMissing)
		reject(w, handshakeError{http.StatusUnauthorized, "Unauthorized: an access token is required (hub " + hubName + " does not allow anonymous connections)"})
		return
	}

	// 2. Plain client mode.
	mode := q.Get(queryMode)
	sendGroup := ""
	switch mode {
	case "", modeSendEvent:
	case modeSendToGroup:
		if len(q[queryGroup]) != 1 {
			reject(w, handshakeError{http.StatusBadRequest, "webpubsub_mode=sendToGroup needs exactly one group parameter"})
			return
		}
		sendGroup = q.Get(queryGroup)
		if err := checkGroupName(sendGroup); err != nil {
			reject(w, handshakeError{http.StatusBadRequest, err.Error()})
			return
		}
	default:
		reject(w, handshakeError{http.StatusBadRequest, "unknown webpubsub_mode " + strconv.Quote(mode)})
		return
	}

	if !e.reserve() {
		reject(w, handshakeError{http.StatusTooManyRequests, "the emulator's connection limit (" + strconv.Itoa(e.cfg.MaxConnections) + ") is reached"})
		return
	}

	c := newConn(h, newID(12))
	userID, _ := claims["sub"].(string)
	c.userID = userID
	roles := claimStrings(claims[claimRole])
	groups := claimStrings(claims[claimGroup])
	offered := offeredSubprotocols(r.Header)

	// 3. The connect event.
	subprotocol := ""
	if eh, ok := findHandler(settings, wire.EventConnect, true); ok {
		body, _ := json.Marshal(connectRequest{
			Claims:             flattenClaims(claims),
			Query:              q,
			Headers:            r.Header,
			Subprotocols:       nonNil(offered),
			ClientCertificates: []any{},
		})
		hd := ceHeaders{hub: hubName, connID: c.id, userID: userID}
		reply, err := e.call(context.Background(), eh, wire.TypeConnect, wire.EventConnect, hd, contentTypeSystem, body)
		if err != nil {
			e.release()
			var se *statusError
			if errors.As(err, &se) && se.status/100 == 4 {
				reject(w, handshakeError{se.status, se.body})
				return
			}
			reject(w, handshakeError{http.StatusInternalServerError, "the upstream connect event handler failed"})
			return
		}
		ans, err := parseConnectAnswer(reply)
		if err == nil && ans.Subprotocol != nil && !slices.Contains(offered, *ans.Subprotocol) {
			err = fmt.Errorf("%w: connect answer selects subprotocol %q the client did not offer", ErrUpstreamResponse, *ans.Subprotocol)
		}
		if err != nil {
			e.release()
			e.log.Warn("upstream connect answer rejected", "hub", hubName, "connectionId", c.id, "error", err)
			reject(w, handshakeError{http.StatusInternalServerError, "the upstream connect event handler returned an invalid answer"})
			return
		}
		if ans.UserID != nil {
			c.userID = *ans.UserID
		}
		roles = append(roles, ans.Roles...)
		groups = append(groups, ans.Groups...)
		if ans.Subprotocol != nil {
			subprotocol = *ans.Subprotocol
		}
		if reply.setState {
			c.state = reply.state
		}
	}
	if subprotocol == "" {
		subprotocol = defaultSubprotocol(offered)
	}
	switch subprotocol {
	case wire.SubprotocolJSON:
		c.proto = protoJSON
	case wire.SubprotocolJSONReliable:
		c.proto = protoReliable
	case wire.SubprotocolProtobuf, wire.SubprotocolProtobufReliable:
		e.release()
		reject(w, handshakeError{http.StatusBadRequest, "the protobuf subprotocols are not supported by the emulator"})
		return
	}
	c.subprotocol = subprotocol
	if c.proto == protoPlain {
		c.sendGroup = sendGroup
	}
	c.perms.addRoles(roles)

	// 4. Register and join the initial groups before the upgrade completes, so that a
	// message sent to the connection as soon as the client sees 101 reaches it (it waits in
	// the queue until the WebSocket is attached).
	if c.proto == protoReliable {
		c.token = newID(24)
	}
	h.register(c)
	var changes []membership
	h.mu.Lock()
	for _, g := range groups {
		if checkGroupName(g) == nil && h.joinLocked(g, c) {
			changes = append(changes, membership{c, g, true})
		}
	}
	h.mu.Unlock()

	// 5. The upgrade.
	var protos []string
	if subprotocol != "" {
		protos = []string{subprotocol}
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       protos,
		InsecureSkipVerify: true, // the service accepts any browser Origin
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		e.log.Warn("WebSocket upgrade failed", "hub", hubName, "error", err)
		c.end("The WebSocket handshake failed.", closeByClient)
		return
	}
	ws.SetReadLimit(e.cfg.MaxMessageSize)
	var first []byte
	if c.pubsub() {
		first = systemConnected(c.id, c.userID, c.token)
	}
	e.log.Info("connection opened", "hub", hubName, "connectionId", c.id, "userId", c.userID, "subprotocol", subprotocol)
	if !c.attach(ws, first) {
		_ = ws.CloseNow()
		return
	}
	// 6. connected, then the presence events of the initial groups.
	c.connected()
	h.presence(changes)
	// The read loop gets a goroutine of its own with a small stack; the HTTP server's
	// goroutine (deep stack) ends here, which roughly halves the memory of an idle
	// connection. The connection was hijacked, so returning is safe.
	go c.readLoop(ws)
}

// recoverClient reattaches a reliable connection whose WebSocket dropped. Failures are
// reported after the upgrade with close status 1008, as the service does.
func (e *Emulator) recoverClient(w http.ResponseWriter, r *http.Request, hubName, connID, token string) {
	c := e.hub(hubName).lookup(connID)
	ok := c != nil && c.recoverable(token)
	var protos []string
	if ok {
		protos = []string{c.subprotocol}
	} else if offered := offeredSubprotocols(r.Header); len(offered) > 0 {
		protos = offered[:1]
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       protos,
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	if !ok {
		e.log.Warn("connection recovery refused", "hub", hubName, "connectionId", connID)
		_ = ws.Close(websocket.StatusPolicyViolation, "The connection cannot be recovered.")
		return
	}
	ws.SetReadLimit(e.cfg.MaxMessageSize)
	c.mu.Lock()
	c.token = newID(24)
	first := systemConnected(c.id, c.userID, c.token)
	c.mu.Unlock()
	if !c.attach(ws, first) {
		_ = ws.Close(websocket.StatusPolicyViolation, "The connection cannot be recovered.")
		return
	}
	e.log.Info("connection recovered", "hub", hubName, "connectionId", c.id, "userId", c.userID)
	go c.readLoop(ws)
}

// parseConnectAnswer reads a 2xx answer to connect: 204 or an empty body accept with
// defaults, otherwise the body must be a JSON object.
func parseConnectAnswer(reply *upstreamReply) (connectAnswer, error) {
	var a connectAnswer
	if reply.status == http.StatusNoContent || len(strings.TrimSpace(string(reply.body))) == 0 {
		return a, nil
	}
	if mt, _, _ := mime.ParseMediaType(reply.contentType); mt != "" && mt != contentTypeJSON {
		return a, fmt.Errorf("%w: connect answer has content type %q", ErrUpstreamResponse, reply.contentType)
	}
	if err := json.Unmarshal(reply.body, &a); err != nil {
		return a, fmt.Errorf("%w: connect answer is not the expected JSON object: %v", ErrUpstreamResponse, err)
	}
	return a, nil
}

// offeredSubprotocols lists the Sec-WebSocket-Protocol values of a handshake.
func offeredSubprotocols(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// defaultSubprotocol picks the subprotocol when the connect event did not: the first offered
// predefined PubSub subprotocol; none for plain clients.
func defaultSubprotocol(offered []string) string {
	for _, p := range offered {
		switch p {
		case wire.SubprotocolJSON, wire.SubprotocolJSONReliable, wire.SubprotocolProtobuf, wire.SubprotocolProtobufReliable:
			return p
		}
	}
	return ""
}

// claimStrings reads a claim that is a string or an array of strings.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// flattenClaims renders token claims as the connect event carries them: every claim an array
// of strings, numbers in decimal.
func flattenClaims(claims jwt.MapClaims) map[string][]string {
	out := make(map[string][]string, len(claims))
	for k, v := range claims {
		var vals []any
		if arr, ok := v.([]any); ok {
			vals = arr
		} else {
			vals = []any{v}
		}
		for _, x := range vals {
			var s string
			switch x := x.(type) {
			case string:
				s = x
			case float64:
				s = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				s = strconv.FormatBool(x)
			default:
				b, _ := json.Marshal(x)
				s = string(b)
			}
			out[k] = append(out[k], s)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
