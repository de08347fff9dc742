package wire

// HTTP header names of the upstream protocol. Go canonicalises header keys, so read
// them with http.Header.Get (case-insensitive), never by map index.
const (
	HeaderAwpsVersion          = "ce-awpsversion"
	HeaderSpecVersion          = "ce-specversion"
	HeaderType                 = "ce-type"
	HeaderSource               = "ce-source"
	HeaderID                   = "ce-id"
	HeaderTime                 = "ce-time"
	HeaderHub                  = "ce-hub"
	HeaderConnectionID         = "ce-connectionId"
	HeaderEventName            = "ce-eventName"
	HeaderUserID               = "ce-userId"
	HeaderSubprotocol          = "ce-subprotocol"
	HeaderConnectionState      = "ce-connectionState"
	HeaderSignature            = "ce-signature"
	HeaderPhysicalConnectionID = "ce-physicalConnectionId"
	HeaderSessionID            = "ce-sessionId"
	// HeaderMQTTPrefix prefixes one header per MQTT 5 user property on MQTT user events
	// (requests and responses).
	HeaderMQTTPrefix = "mqtt-"

	HeaderRequestOrigin = "WebHook-Request-Origin"
	HeaderAllowedOrigin = "WebHook-Allowed-Origin"
)

// Values of the version headers the service sends.
const (
	AwpsVersion = "1.0"
	SpecVersion = "1.0"
)

// CloudEvents ce-type values and prefixes.
const (
	TypePrefix       = "azure.webpubsub."
	TypeSystemPrefix = "azure.webpubsub.sys."
	TypeUserPrefix   = "azure.webpubsub.user."
	TypeGroupPrefix  = "azure.webpubsub.gp."

	TypeConnect      = TypeSystemPrefix + EventConnect
	TypeConnected    = TypeSystemPrefix + EventConnected
	TypeDisconnected = TypeSystemPrefix + EventDisconnected
	TypeMessage      = TypeUserPrefix + EventMessage
	TypeJoined       = TypeGroupPrefix + EventJoined
	TypeLeft         = TypeGroupPrefix + EventLeft
)

// Event names as sent in ce-eventName and substituted for {event} in URL templates.
const (
	EventConnect      = "connect"
	EventConnected    = "connected"
	EventDisconnected = "disconnected"
	EventMessage      = "message"
	EventJoined       = "joined"
	EventLeft         = "left"
	// EventValidate is the {event} value of the abuse-protection OPTIONS request.
	EventValidate = "validate"
)

// UserEventType returns the ce-type of the user event named event.
func UserEventType(event string) string { return TypeUserPrefix + event }

// Client subprotocols.
const (
	SubprotocolJSON             = "json.webpubsub.azure.v1"
	SubprotocolJSONReliable     = "json.reliable.webpubsub.azure.v1"
	SubprotocolProtobuf         = "protobuf.webpubsub.azure.v1"
	SubprotocolProtobufReliable = "protobuf.reliable.webpubsub.azure.v1"
	SubprotocolMQTT             = "mqtt"
)

// Content types used on upstream requests and responses.
const (
	ContentTypeJSON   = "application/json"
	ContentTypeText   = "text/plain"
	ContentTypeBinary = "application/octet-stream"

	ContentTypeJSONUTF8 = "application/json; charset=utf-8"
	ContentTypeTextUTF8 = "text/plain; charset=utf-8"
)

// DefaultHandlerPath is the path, with the hub name substituted for {hub}, under which
// the official JavaScript handler mounts a hub; we use the same default.
const DefaultHandlerPath = "/api/webpubsub/hubs/{hub}/"

// Query parameters of the client endpoint that recover a reliable connection: the id of
// the dropped connection and the reconnection token of its last connected system message.
const (
	QueryConnectionID      = "awps_connection_id"
	QueryReconnectionToken = "awps_reconnection_token"
)
