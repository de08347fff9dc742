// Package service is the client for the Azure Web PubSub data-plane REST API: send
// messages, manage groups, connections and permissions, and issue client access tokens.
// It is the Go counterpart of the Python azure-messaging-webpubsubservice client and of
// the JavaScript @azure/web-pubsub package, built on the azcore pipeline (retries,
// logging, telemetry, tracing) like the official Azure SDK for Go.
//
// # Clients
//
// A [Client] is bound to one hub. Create it from a connection string
// ([NewClientFromConnectionString], see [ParseConnectionString]), from an endpoint and an
// access key ([NewClientWithKey]) or from an endpoint and any azcore.TokenCredential for
// Microsoft Entra ID ([NewClient]). A Client is safe for concurrent use; Go has no
// separate async client: call methods from goroutines and bound them with contexts.
//
// # Authentication
//
// With an access key every request carries a JWT (HS256, signed with the UTF-8 bytes of
// the key) whose audience is the full request URL; signed tokens are cached per URL for
// most of their one-hour lifetime, so a busy app does not sign one per request. With Entra
// ID the token comes from the credential for scope [EntraScope].
//
// # Operations
//
// Each operation has the shape (ctx, required arguments…, *XOptions) (XResponse, error);
// nil options mean defaults. Messages are built with [Text], [JSON] and [Binary].
// Non-2xx answers are returned as *azcore.ResponseError (use errors.As); the existence
// checks ([Client.ConnectionExists], [Client.UserExists], [Client.GroupExists],
// [Client.CheckPermission]) map 404 to false. Bad arguments detected before sending wrap
// [ErrInvalidArgument].
//
// # Client access tokens
//
// [Client.ClientAccessToken] returns the token, base URL and full URL a WebSocket, MQTT or
// Socket.IO client connects with: signed locally with the key, or fetched from the
// service's generateToken operation under Entra ID.
//
// # Hub settings
//
// [HubSettings] and [EventHandler] describe a hub's event handlers as code; the emulator
// applies them and [HubSettings.AzCLICommand] renders the az CLI command for Azure.
package service
