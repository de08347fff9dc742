package handler

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

// EventType is the CloudEvents ce-type of an upstream event.
type EventType string

// The ce-type values of the upstream events. User events have the type
// "azure.webpubsub.user.<event name>"; [EventTypeMessage] is the one plain WebSocket
// clients produce.
const (
	EventTypeConnect      EventType = wire.TypeConnect
	EventTypeConnected    EventType = wire.TypeConnected
	EventTypeDisconnected EventType = wire.TypeDisconnected
	EventTypeMessage      EventType = wire.TypeMessage
	EventTypeJoined       EventType = wire.TypeJoined
	EventTypeLeft         EventType = wire.TypeLeft
)

// ClientProtocol tells which kind of client caused an event.
type ClientProtocol string

// Client protocols.
const (
	// ClientProtocolDefault is a WebSocket client (plain or with a PubSub subprotocol).
	ClientProtocolDefault ClientProtocol = "default"
	// ClientProtocolMQTT is an MQTT client.
	ClientProtocolMQTT ClientProtocol = "mqtt"
)

// ConnectionContext describes the connection and the CloudEvent of every request. It is
// embedded in every event type.
type ConnectionContext struct {
	// Hub is ce-hub.
	Hub string
	// ConnectionID is ce-connectionId (the MQTT client id for MQTT clients).
	ConnectionID string
	// UserID is ce-userId; empty for anonymous connections.
	UserID string
	// EventName is ce-eventName ("connect", "message", a custom name, "joined"…).
	EventName string
	// Type is ce-type.
	Type EventType
	// Subprotocol is ce-subprotocol; empty for plain WebSocket clients.
	Subprotocol string
	// Origin is WebHook-Request-Origin, the service host that sent the event.
	Origin string
	// Signature is ce-signature as sent (already verified when the hub checks signatures).
	Signature string
	// ID is the CloudEvents id (ce-id); with Time it de-duplicates retried deliveries.
	ID string
	// Time is ce-time, zero when absent or unparseable.
	Time time.Time
	// Source is ce-source, an opaque string.
	Source string
	// ClientProtocol is [ClientProtocolMQTT] for MQTT clients.
	ClientProtocol ClientProtocol
	// MQTT holds the MQTT ids; nil for other clients.
	MQTT *MQTTContext
	// State is the connection state (ce-connectionState). Blocking events may change it.
	State State
	// Header is the request's header, for anything not decoded above.
	Header http.Header

	fctx funcContext // the funcs' context when the request came through hubctx.Serve
}

// Client returns the hub's bundled service client, to send to groups, users or
// connections, manage groups or close connections from inside a func. It is nil when the
// hub has neither a connection string nor [Options.Client].
func (c *ConnectionContext) Client() *service.Client {
	if c.State.hub == nil {
		return nil
	}
	return c.State.hub.client
}

// LogValue logs the hub, event, connection id and user id only: never the signature,
// the state or (through the events that embed it) the connect query with its access token.
func (c *ConnectionContext) LogValue() slog.Value {
	return slog.GroupValue(slog.String("hub", c.Hub), slog.String("event", c.EventName),
		slog.String("connectionId", c.ConnectionID), slog.String("userId", c.UserID))
}

var _ slog.LogValuer = (*ConnectionContext)(nil)

// ClientCertificate is a TLS client certificate of a connect request.
type ClientCertificate struct {
	// Thumbprint is the SHA-1 thumbprint.
	Thumbprint string `json:"thumbprint"`
	// Content is the certificate in PEM.
	Content string `json:"content,omitempty"`
}

// ConnectRequest is a connect event, sent while the client's WebSocket handshake waits.
type ConnectRequest struct {
	ConnectionContext
	// Claims are the claims of the client's access token (values as strings).
	Claims map[string][]string
	// Query is the handshake URL's query, including access_token (a secret).
	Query url.Values
	// Headers are the handshake request's headers (keys canonicalised).
	Headers http.Header
	// Subprotocols are the subprotocols the client offered.
	Subprotocols []string
	// ClientCertificates are the client's TLS certificates, when client-cert auth is on.
	ClientCertificates []ClientCertificate
	// MQTTConnect holds the CONNECT packet fields of an MQTT client; nil otherwise.
	MQTTConnect *MQTTConnectProperties
}

// ConnectResponse accepts a connect and shapes the connection. Zero fields are omitted,
// so the service keeps its defaults for them.
type ConnectResponse struct {
	// UserID sets the connection's user id.
	UserID string `json:"userId,omitempty"`
	// Groups are joined at once.
	Groups []string `json:"groups,omitempty"`
	// Roles are the initial permissions, e.g. "webpubsub.joinLeaveGroup.lobby".
	Roles []string `json:"roles,omitempty"`
	// Subprotocol selects one of the offered subprotocols.
	Subprotocol string `json:"subprotocol,omitempty"`
	// MQTT holds the CONNACK user properties of MQTT 5 clients.
	MQTT *MQTTConnectResponseProperties `json:"mqtt,omitempty"`
}

// DataType is the kind of a user event's body or reply.
type DataType string

// Data types, from the body's media type.
const (
	DataTypeText   DataType = "text"   // text/plain
	DataTypeJSON   DataType = "json"   // application/json
	DataTypeBinary DataType = "binary" // application/octet-stream (and any MQTT type)
)

// ContentType returns the media type written for d (binary for an unknown d).
func (d DataType) ContentType() string {
	switch d {
	case DataTypeText:
		return wire.ContentTypeTextUTF8
	case DataTypeJSON:
		return wire.ContentTypeJSONUTF8
	}
	return wire.ContentTypeBinary
}

// UserEvent is a message from a plain WebSocket client ("message"), a custom event of a
// PubSub subprotocol client, or an MQTT publish to $webpubsub/server/events/<name>.
type UserEvent struct {
	ConnectionContext
	// Data is the body.
	Data []byte
	// DataType follows the media type; MQTT bodies of other types are binary.
	DataType DataType
	// ContentType is the Content-Type header as sent.
	ContentType string
	// MQTTUserProperties are the mqtt-* headers of an MQTT user event (names lower-cased,
	// as HTTP header names are case-insensitive).
	MQTTUserProperties []MQTTUserProperty
}

// Text returns the body as a string.
func (e *UserEvent) Text() string { return string(e.Data) }

// DecodeJSON unmarshals the body into v.
func (e *UserEvent) DecodeJSON(v any) error { return json.Unmarshal(e.Data, v) }

// EventResponse is the reply to a user event, delivered to the client that sent it.
type EventResponse struct {
	// Data is the reply body.
	Data []byte
	// DataType selects the Content-Type (binary when empty).
	DataType DataType
	// ContentType overrides the Content-Type (for MQTT clients, any type).
	ContentType string
	// MQTTUserProperties become mqtt-* response headers (user properties of the reply
	// PUBLISH to an MQTT client).
	MQTTUserProperties []MQTTUserProperty
}

// TextResponse replies with text (text/plain; charset=utf-8).
func TextResponse(s string) *EventResponse {
	return &EventResponse{Data: []byte(s), DataType: DataTypeText}
}

// BinaryResponse replies with bytes (application/octet-stream).
func BinaryResponse(b []byte) *EventResponse {
	return &EventResponse{Data: b, DataType: DataTypeBinary}
}

// JSONResponse replies with the JSON encoding of v (application/json; charset=utf-8). The
// error is the marshalling error, which the hub answers with 500.
func JSONResponse(v any) (*EventResponse, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &EventResponse{Data: b, DataType: DataTypeJSON}, nil
}

// ConnectedEvent notifies that a connection is established.
type ConnectedEvent struct {
	ConnectionContext
}

// DisconnectedEvent notifies that a connection ended.
type DisconnectedEvent struct {
	ConnectionContext
	// Reason tells why, empty for a normal close.
	Reason string
	// MQTTDisconnect holds the MQTT session end; nil for other clients.
	MQTTDisconnect *MQTTDisconnectedProperties
}

// GroupEvent notifies that a connection joined or left a group; EventName says which
// ("joined" or "left").
type GroupEvent struct {
	ConnectionContext
	// Group is the group name.
	Group string
}
