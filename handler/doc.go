// Package handler receives the upstream events of Azure Web PubSub: the CloudEvents HTTP
// requests (binary mode, signed) the service sends for every connect, user event,
// connection and group change. A [Hub] is an [http.Handler] for one hub; it imports no web
// framework, so it mounts on net/http, Echo (package middleware), chi or gin.
//
// # Events
//
// Register funcs before serving:
//
//   - [Hub.HandleConnect]: accept or reject a connect, set the user id, groups, roles,
//     subprotocol and state ([ConnectRequest], [ConnectResponse]).
//   - [Hub.HandleEvent], [HandleJSON], [Hub.HandleAnyEvent]: user events ("message" from
//     plain WebSocket clients, custom events, MQTT publishes) with text, JSON or binary
//     replies ([UserEvent], [EventResponse]).
//   - [Hub.OnConnected], [Hub.OnDisconnected], [Hub.OnGroupJoined], [Hub.OnGroupLeft]:
//     notifications; their errors and panics reach [Options.OnError] and the log.
//
// Without a func, a connect is accepted with the service's defaults (200 with no body;
// 204 for MQTT), a user event gets 200 with no body (logged once per event name), and a
// notification gets 200.
//
// Every event embeds a [ConnectionContext]: hub, connection and user ids, event name,
// subprotocol, origin, signature, CloudEvents id and time (to de-duplicate retries), MQTT
// ids, the [State], and [ConnectionContext.Client], the hub's bundled service client.
//
// # Decoding
//
// A POST is handled in this order: ce-signature is verified from the headers alone; the
// request must be a binary-mode CloudEvent (a ce-specversion the cloudevents SDK knows, not
// a structured or batch media type); the attributes (ce-type, ce-id, ce-time, ce-source)
// are read under the header names of the SDK's binding/spec tables, computed once; ce-hub
// must name this hub; only then is the body read, within [Options.MaxBodyBytes], and decoded
// for the event type; then the func runs and its answer is written.
//
// # Errors
//
// A func rejects with [Unauthorized], [BadRequest], [ServerError] or [MQTTError] (one
// [*Error] type carrying status, reason and MQTT code). Any other error and any panic is a
// 500 whose body is only the status text; the details go to the log and to
// [Options.OnError]. [StatusOf] is the one mapping from errors to statuses.
//
// # Security
//
// The hub checks ce-signature against every key it knows (connection strings and
// [Options.Keys], for example a [*KeyRing] rotated at run time) before it reads the body;
// a missing or wrong signature is a 401 and no func runs. [NewHub] fails when no key is
// known unless [Options.InsecureSkipSignatureValidation] is set. The OPTIONS abuse-protection
// handshake accepts only the hosts of the connection strings (or
// [Options.AllowedOrigins]); [Options.AllowAnyOrigin] opts out. Bodies are limited to
// [Options.MaxBodyBytes] (413 beyond).
//
// # State
//
// [State] is the per-connection state in ce-connectionState, written in the official
// JavaScript SDK's format (base64 of a JSON object) so Go and JS backends can share
// connections; the .NET SDK's variant is read too. [StateAs] decodes one key into a type;
// the encoded state is budgeted by [Options.MaxStateBytes].
package handler
