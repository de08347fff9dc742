// Package wire holds the facts of the Azure Web PubSub upstream protocol that both the
// receiving side (package handler) and the sending side (package emulator) need: header
// names, CloudEvents type values, event names, subprotocol names and the ce-signature
// algorithm. It imports only the standard library.
package wire
