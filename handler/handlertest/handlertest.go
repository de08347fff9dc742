// Package handlertest builds realistic, correctly signed Web PubSub upstream requests, so
// that apps unit-test their [handler.Hub] funcs with [net/http/httptest] as if the
// service called them.
//
// A hub built with [ConnectionString] accepts the requests built here with default
// [Options]:
//
//	hub, _ := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
//	rec := httptest.NewRecorder()
//	hub.ServeHTTP(rec, handlertest.Message("chat", "hello", nil))
//
// The requests carry every header the service sends: ce-specversion, ce-type, ce-source,
// ce-id, ce-time, ce-awpsversion, ce-hub, ce-connectionId, ce-eventName, ce-signature,
// WebHook-Request-Origin, and ce-userId, ce-subprotocol, ce-connectionState and the MQTT
// headers when the options ask for them.
package handlertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// Defaults used when [Options] leaves a field empty.
const (
	// Endpoint is the service endpoint of [ConnectionString].
	Endpoint = "http://127.0.0.1:7071"
	// Origin is the WebHook-Request-Origin sent by default: the host of Endpoint.
	Origin = "127.0.0.1:7071"
	// AccessKey is the key of [ConnectionString]; requests are signed with it by default.
	AccessKey = "handlertest-access-key-0123456789abcdef"
	// ConnectionString is a connection string for a hub under test.
	ConnectionString = "Endpoint=" + Endpoint + ";AccessKey=" + AccessKey + ";Version=1.0;"
	// ConnectionID is the default ce-connectionId.
	ConnectionID = "conn-1"
)

// Time is the default ce-time (a fixed instant, so tests are reproducible).
var Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options shape a request. A nil *Options uses every default.
type Options struct {
	// Keys sign ce-signature, one entry per key. Default: [AccessKey].
	Keys []string
	// Unsigned omits ce-signature.
	Unsigned bool
	// ConnectionID is ce-connectionId. Default: [ConnectionID].
	ConnectionID string
	// UserID is ce-userId; empty omits it.
	UserID string
	// Subprotocol is ce-subprotocol; empty omits it ("mqtt" when MQTT is set).
	Subprotocol string
	// State is ce-connectionState as sent; build it with [State]. Empty omits it.
	State string
	// Origin is WebHook-Request-Origin. Default: [Origin].
	Origin string
	// ID is ce-id. Default: a process-wide counter.
	ID string
	// Time is ce-time. Default: [Time].
	Time time.Time
	// MQTT makes the request come from an MQTT client.
	MQTT *MQTT
	// Target is the request URL. Default: /api/webpubsub/hubs/<hub>/<event>.
	Target string
	// Header is applied last; it adds or replaces headers (an empty value removes one).
	Header http.Header
	// Context is the request context. Default: context.Background().
	Context context.Context
}

// MQTT describes the MQTT client of a request.
type MQTT struct {
	// PhysicalConnectionID is ce-physicalConnectionId. Default: "physical-1".
	PhysicalConnectionID string
	// SessionID is ce-sessionId (not sent on connect). Default: "session-1".
	SessionID string
	// UserProperties become mqtt-* headers on user events.
	UserProperties []handler.MQTTUserProperty
}

var ids atomic.Uint64

// build assembles one request.
func build(hub, ceType, event, contentType string, body []byte, o *Options) *http.Request {
	if o == nil {
		o = &Options{}
	}
	target := o.Target
	if target == "" {
		target = "/api/webpubsub/hubs/" + url.PathEscape(hub) + "/" + url.PathEscape(event)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(http.MethodPost, target, rd)
	if o.Context != nil {
		r = r.WithContext(o.Context)
	}
	connID := or(o.ConnectionID, ConnectionID)
	id := o.ID
	if id == "" {
		id = "event-" + itoa(ids.Add(1))
	}
	t := o.Time
	if t.IsZero() {
		t = Time
	}
	h := r.Header
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set(wire.HeaderAwpsVersion, wire.AwpsVersion)
	set(wire.HeaderSpecVersion, wire.SpecVersion)
	set(wire.HeaderType, ceType)
	set(wire.HeaderID, id)
	set(wire.HeaderTime, t.UTC().Format(time.RFC3339Nano))
	set(wire.HeaderHub, hub)
	set(wire.HeaderConnectionID, connID)
	set(wire.HeaderEventName, event)
	set(wire.HeaderUserID, o.UserID)
	set(wire.HeaderRequestOrigin, or(o.Origin, Origin))
	set(wire.HeaderConnectionState, o.State)
	set("Content-Type", contentType)
	sub := o.Subprotocol
	if o.MQTT != nil {
		sub = or(sub, wire.SubprotocolMQTT)
		set(wire.HeaderPhysicalConnectionID, or(o.MQTT.PhysicalConnectionID, "physical-1"))
		if event != wire.EventConnect {
			set(wire.HeaderSessionID, or(o.MQTT.SessionID, "session-1"))
		}
		if strings.HasPrefix(ceType, wire.TypeUserPrefix) {
			for _, p := range o.MQTT.UserProperties {
				h.Add(wire.HeaderMQTTPrefix+p.Name, p.Value)
			}
		}
		set(wire.HeaderSource, "/hubs/"+hub+"/client/"+connID+"/"+or(o.MQTT.PhysicalConnectionID, "physical-1"))
	} else {
		set(wire.HeaderSource, "/hubs/"+hub+"/client/"+connID)
	}
	set(wire.HeaderSubprotocol, sub)
	if !o.Unsigned {
		keys := o.Keys
		if keys == nil {
			keys = []string{AccessKey}
		}
		set(wire.HeaderSignature, wire.Sign(connID, keys...))
	}
	for k, vs := range o.Header {
		if len(vs) == 0 || (len(vs) == 1 && vs[0] == "") {
			h.Del(k)
			continue
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	return r
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("handlertest: " + err.Error())
	}
	return b
}

// ConnectBody is the body of a connect request.
type ConnectBody struct {
	Claims             map[string][]string            `json:"claims,omitempty"`
	Query              map[string][]string            `json:"query,omitempty"`
	Headers            map[string][]string            `json:"headers,omitempty"`
	Subprotocols       []string                       `json:"subprotocols"`
	ClientCertificates []handler.ClientCertificate    `json:"clientCertificates"`
	MQTT               *handler.MQTTConnectProperties `json:"mqtt,omitempty"`
}

// Connect returns a connect request. A nil body sends the fields of an anonymous client
// with no subprotocol. With Options.MQTT, body.MQTT defaults to an MQTT 5 CONNECT.
func Connect(hub string, body *ConnectBody, o *Options) *http.Request {
	if body == nil {
		body = &ConnectBody{}
	}
	b := *body
	if b.Subprotocols == nil {
		b.Subprotocols = []string{}
	}
	if b.ClientCertificates == nil {
		b.ClientCertificates = []handler.ClientCertificate{}
	}
	if o != nil && o.MQTT != nil && b.MQTT == nil {
		b.MQTT = &handler.MQTTConnectProperties{ProtocolVersion: 5}
	}
	return build(hub, wire.TypeConnect, wire.EventConnect, wire.ContentTypeJSONUTF8, mustJSON(b), o)
}

// Connected returns a connected notification.
func Connected(hub string, o *Options) *http.Request {
	return build(hub, wire.TypeConnected, wire.EventConnected, wire.ContentTypeJSONUTF8, []byte("{}"), o)
}

// DisconnectedBody is the body of a disconnected notification.
type DisconnectedBody struct {
	Reason string                              `json:"reason,omitempty"`
	MQTT   *handler.MQTTDisconnectedProperties `json:"mqtt,omitempty"`
}

// Disconnected returns a disconnected notification; a nil body means a normal close.
func Disconnected(hub string, body *DisconnectedBody, o *Options) *http.Request {
	if body == nil {
		body = &DisconnectedBody{}
	}
	return build(hub, wire.TypeDisconnected, wire.EventDisconnected, wire.ContentTypeJSONUTF8, mustJSON(body), o)
}

// Event returns a user event named event with the given Content-Type and body.
func Event(hub, event, contentType string, data []byte, o *Options) *http.Request {
	if data == nil {
		data = []byte{}
	}
	return build(hub, wire.UserEventType(event), event, contentType, data, o)
}

// Message returns the "message" event of a plain WebSocket client's text frame.
func Message(hub, text string, o *Options) *http.Request {
	return Event(hub, wire.EventMessage, wire.ContentTypeText, []byte(text), o)
}

// Text returns a user event with a text/plain body.
func Text(hub, event, text string, o *Options) *http.Request {
	return Event(hub, event, wire.ContentTypeText, []byte(text), o)
}

// JSON returns a user event with the JSON encoding of v as application/json body; it
// panics when v cannot be marshalled.
func JSON(hub, event string, v any, o *Options) *http.Request {
	return Event(hub, event, wire.ContentTypeJSON, mustJSON(v), o)
}

// Binary returns a user event with an application/octet-stream body.
func Binary(hub, event string, data []byte, o *Options) *http.Request {
	return Event(hub, event, wire.ContentTypeBinary, data, o)
}

// GroupJoined returns the group-presence notification that the connection joined group.
func GroupJoined(hub, group string, o *Options) *http.Request {
	return build(hub, wire.TypeJoined, wire.EventJoined, wire.ContentTypeJSONUTF8, mustJSON(map[string]string{"group": group}), o)
}

// GroupLeft returns the group-presence notification that the connection left group.
func GroupLeft(hub, group string, o *Options) *http.Request {
	return build(hub, wire.TypeLeft, wire.EventLeft, wire.ContentTypeJSONUTF8, mustJSON(map[string]string{"group": group}), o)
}

// Validate returns the abuse-protection OPTIONS handshake the service sends with origin
// (default [Origin] when empty).
func Validate(hub, origin string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, "/api/webpubsub/hubs/"+url.PathEscape(hub)+"/"+wire.EventValidate, nil)
	r.Header.Set(wire.HeaderRequestOrigin, or(origin, Origin))
	r.Header.Set(wire.HeaderAwpsVersion, wire.AwpsVersion)
	r.Header.Set(wire.HeaderHub, hub)
	return r
}

// State encodes values as a ce-connectionState header in the JS SDK's format; it panics
// when a value cannot be marshalled.
func State(values map[string]any) string {
	s, err := handler.EncodeState(values)
	if err != nil {
		panic("handlertest: " + err.Error())
	}
	return s
}

// ForClient turns a request built here into one for an [http.Client]: baseURL (such as
// an httptest.Server's URL) replaces scheme and host, the path and headers stay.
func ForClient(r *http.Request, baseURL string) (*http.Request, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.RequestURI = ""
	c.URL.Scheme, c.URL.Host = u.Scheme, u.Host
	c.Host = u.Host
	return c, nil
}
