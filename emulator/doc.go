// Package emulator is a local Azure Web PubSub service for development, tests and CI.
//
// An [Emulator] is an [net/http.Handler]: it serves the client WebSocket endpoint
// (/client/hubs/{hub}) with the plain WebSocket, json.webpubsub.azure.v1 and
// json.reliable.webpubsub.azure.v1 protocols, calls the hub's upstream event handlers with
// signed CloudEvents requests, and serves the data-plane REST API (/api/...) that the service
// client uses. Point the service client at [Emulator.ConnectionString]; an app that works
// against the emulator works against Azure by changing only the connection string.
//
// # Running
//
// [Start] runs an emulator on a loopback listener and returns a [Server]; [New] returns the
// handler for any listener (set [Config.Endpoint] to the URL clients use). The program
// cmd/webpubsub-emulator wraps it with flags and environment variables.
//
// A Server stops when the context given to Start ends, ending every connection: the app's
// upstream gets a disconnected event for each (the REST API keeps answering until they are
// done). An app that stops on the same context may be gone by then; pass
// context.WithoutCancel(ctx) to Start and call [Server.Close] last to choose the order.
//
// # Authentication
//
// Client and REST tokens are HS256 JWTs signed with [Config.AccessKey] (or
// [Config.SecondaryAccessKey]). Microsoft Entra ID tokens on the REST API cannot be verified
// offline and are refused unless [Config.InsecureAcceptBearerTokens] is set, which accepts
// them WITHOUT signature verification (development only).
//
// # Hubs
//
// Each hub is described by a service.HubSettings: event handlers evaluated in order (URL
// template with {hub} and {event}, user event pattern, system events, group presence events)
// and the anonymous connect policy. Give them in [Config.Hubs] or with [Emulator.SetHub]; the
// handler package derives them from the funcs registered on a hub.
//
// # Limits
//
// Message size, per-connection send queues (a slow consumer is dropped, never waited for),
// upstream timeout, connection state size, connection count, recovery window and keep-alive
// are fields of [Config], each with a documented default.
//
// # Testing
//
// [Emulator.DropConnection] breaks a connection's socket without a close frame so that tests
// can exercise client recovery. docs/emulator.md lists what is supported and every known
// difference from the service.
package emulator
