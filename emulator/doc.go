// Package emulator is a local Azure Web PubSub service for development, tests and CI.
//
// An [Emulator] is an [net/http.Handler]: it serves the client WebSocket endpoint
// (/client/hubs/{hub}) with the plain WebSocket, json.webpubsub.azure.v1 and
// json.reliable.webpubsub.azure.v1 protocols, calls the hub's upstream event handlers with
// signed CloudEvents requests, and serves the data-plane REST API (/api/...) that the service
// client uses. Point the service client at [Emulator.ConnectionString]; an app that works
// against the emulator works against Azure by changing only the connection string.
//
// [Start] runs an emulator on a loopback listener; cmd/webpubsub-emulator runs it as a program.
// docs/emulator.md lists what is supported and every known difference from the service.
package emulator
