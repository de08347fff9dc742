package emulator

import (
	"errors"
	"fmt"
)

// ErrNoConnection is returned by [Emulator.DropConnection] for an unknown connection.
var ErrNoConnection = errors.New("webpubsub: no such connection")

// DropConnection breaks the WebSocket of a connection abruptly, without a close frame, as a
// network failure would. A connection on json.reliable.webpubsub.azure.v1 stays recoverable
// for [Config.RecoveryWindow] and keeps its groups and unacknowledged messages; any other
// connection ends (the upstream gets disconnected); so does a reliable one when
// [Config.RecoveryWindow] is negative. This happens before DropConnection returns, so a
// recovery request made afterwards is decided by the configuration alone. Meant for tests of
// client recovery.
// It returns an error wrapping [ErrNoConnection] when the hub has no such connection or its
// WebSocket is already detached.
func (e *Emulator) DropConnection(hub, connectionID string) error {
	c := e.hub(hub).lookup(connectionID)
	if c == nil || !c.drop() {
		return fmt.Errorf("%w: %q in hub %q", ErrNoConnection, connectionID, hub)
	}
	return nil
}
