// Package client is a WebSocket client for Azure Web PubSub hubs speaking the JSON PubSub
// subprotocols (json.reliable.webpubsub.azure.v1 by default, or json.webpubsub.azure.v1): what
// @azure/web-pubsub-client is for JavaScript and azure-messaging-webpubsubclient for Python.
// Bots, CLIs, gateways, load generators and tests use it; it works against Azure and against
// this module's emulator.
//
// # Connecting
//
// [New] takes a client access URL (from service.Client.ClientAccessToken or an app's
// negotiate endpoint); [NewWithURLFunc] takes a func that fetches a fresh URL for every new
// connection, so expiring tokens are renewed on reconnect. Register handler funcs, then call
// [Client.Start]; [Client.Stop] ends the client.
//
//	c, err := client.New(url, nil)
//	c.OnGroupMessage(func(ctx context.Context, ev *client.GroupMessageEvent) {
//		fmt.Println(ev.Group, ev.Data.Text())
//	})
//	err = c.Start(ctx)
//	_, err = c.JoinGroup(ctx, "lobby", nil)
//	_, err = c.SendToGroup(ctx, "lobby", client.Text("hi"), nil)
//	err = c.Stop(ctx)
//
// # Events: funcs, not channels
//
// Events (connected, disconnected, stopped, server message, group message, rejoin-group
// failed) go to funcs registered with OnConnected… before Start. All funcs of a client run on
// one goroutine, one at a time, in the order the events happened. Funcs rather than channels
// because: nothing is dropped (when funcs fall behind, reading pauses instead); nobody must
// remember to drain six channels (a forgotten channel would stall the connection); ordering
// across event kinds (connected before the first message, stopped last) holds by
// construction. A program that prefers channels forwards to its own from a func.
//
// Funcs may call the client's operations: acks are read by the connection's reader, which
// never waits for the funcs while a request waits for its ack. Otherwise, when the funcs are
// [Options.MaxPendingEvents] (4096) messages behind, the reader pauses until they catch up, so
// memory stays bounded and a slow consumer shows up at the service as one. Keep funcs quick or
// hand long work to your own goroutines.
//
// # Operations and acks
//
// [Client.JoinGroup], [Client.LeaveGroup], [Client.SendToGroup] and [Client.SendEvent] send a
// request with an ack id and wait for the service's ack. A refusal is an [*AckError] with the
// service's error name and message:
//
//	var ackErr *client.AckError
//	if errors.As(err, &ackErr) && ackErr.Name == client.AckErrorForbidden { … }
//
// When the connection drops before the ack, or the service reports a transient error, the
// request is resent with the same ack id (so the service recognises a duplicate and answers
// Duplicate, reported as success with [AckResult.Duplicated]), paced by
// [Options.MessageRetry]. Forbidden is never retried. Every operation honours its context.
// SendToGroup and SendEvent can skip the ack (FireAndForget).
//
// # Reliability
//
// On the reliable protocol the client tracks sequence ids, drops redelivered duplicates and
// acknowledges what it received (every second, and at once when more than 300 messages are
// unacknowledged, so fast streams never overflow the service's buffer). When the connection
// drops it reopens the same connection with the reconnection token for up to 30 s; the service
// redelivers what was sent meanwhile, and groups are kept. If that fails (or on the
// non-reliable protocol) it emits OnDisconnected, opens a new connection (paced by
// [Options.ReconnectRetry]), joins again the groups joined through JoinGroup, and emits
// OnConnected. Stop ends all of it and leaves no goroutine behind.
//
// # Limits
//
// Requests larger than [Options.MaxMessageSize] (1 MiB, the service's limit) fail with
// [ErrMessageTooLarge]; frames larger than [Options.ReadLimit] (16 MiB) close the connection.
// Group and event names must be 1–1024 bytes of UTF-8. The handshake (and the wait for the
// connected message) is bounded by [Options.HandshakeTimeout]. Messages waiting for the handler
// funcs are bounded by [Options.MaxPendingEvents].
package client
