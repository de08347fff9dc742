package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/service"
)

// exampleService starts an in-process emulator and returns a service client for hub "chat",
// standing in for Azure Web PubSub and the app server that hands out client access URLs.
func exampleService(ctx context.Context) (*emulator.Server, *service.Client) {
	srv, err := emulator.Start(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := service.NewClientFromConnectionString(srv.ConnectionString(), "chat", nil)
	if err != nil {
		log.Fatal(err)
	}
	return srv, svc
}

// exampleURL returns a client access URL for userID with roles.
func exampleURL(ctx context.Context, svc *service.Client, userID string, roles ...string) string {
	tok, err := svc.ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: userID, Roles: roles})
	if err != nil {
		log.Fatal(err)
	}
	return tok.URL
}

// Open a client, join a group, send to it and receive the message, like the Python client's
// quick start (WebPubSubClient, join_group, send_to_group, GROUP_MESSAGE).
func Example() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	c, err := client.New(exampleURL(ctx, svc, "alice", "webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"), nil)
	if err != nil {
		log.Fatal(err)
	}
	received := make(chan struct{})
	c.OnGroupMessage(func(ctx context.Context, ev *client.GroupMessageEvent) {
		fmt.Printf("Received message from %s: %s\n", ev.Group, ev.Data.Text())
		close(received)
	})
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Stop(ctx)

	if _, err := c.JoinGroup(ctx, "testGroup", nil); err != nil {
		log.Fatal(err)
	}
	if _, err := c.SendToGroup(ctx, "testGroup", client.Text("hello world"), nil); err != nil {
		log.Fatal(err)
	}
	<-received
	// Output:
	// Received message from testGroup: hello world
}

// Subscribe to the connected, disconnected and stopped events (Python: CallbackType.CONNECTED,
// DISCONNECTED, STOPPED).
func ExampleClient_OnConnected() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	c, err := client.New(exampleURL(ctx, svc, "alice"), nil)
	if err != nil {
		log.Fatal(err)
	}
	stopped := make(chan struct{})
	c.OnConnected(func(ctx context.Context, ev *client.ConnectedEvent) {
		fmt.Printf("Connection of %s is connected: %t\n", ev.UserID, ev.ConnectionID != "")
	})
	c.OnDisconnected(func(ctx context.Context, ev *client.DisconnectedEvent) {
		fmt.Println("Connection disconnected")
	})
	c.OnStopped(func(ctx context.Context, ev *client.StoppedEvent) {
		fmt.Println("Client has stopped")
		close(stopped)
	})
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		log.Fatal(err)
	}
	<-stopped
	// Output:
	// Connection of alice is connected: true
	// Connection disconnected
	// Client has stopped
}

// Receive messages the app server sends through the REST API (Python:
// CallbackType.SERVER_MESSAGE).
func ExampleClient_OnServerMessage() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	c, err := client.New(exampleURL(ctx, svc, "bob"), nil)
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	c.OnServerMessage(func(ctx context.Context, ev *client.ServerMessageEvent) {
		var v struct{ Greeting string }
		if err := ev.Data.Decode(&v); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("Received message from server: %s (%s)\n", v.Greeting, ev.Data.DataType())
		close(done)
	})
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Stop(ctx)

	if _, err := svc.SendToUser(ctx, "bob", service.JSON(map[string]string{"Greeting": "hi bob"}), nil); err != nil {
		log.Fatal(err)
	}
	<-done
	// Output:
	// Received message from server: hi bob (json)
}

// Receive group messages with their publisher (Python: CallbackType.GROUP_MESSAGE).
func ExampleClient_OnGroupMessage() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	c, err := client.New(exampleURL(ctx, svc, "carol", "webpubsub.joinLeaveGroup.news"), nil)
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	c.OnGroupMessage(func(ctx context.Context, ev *client.GroupMessageEvent) {
		fmt.Printf("%s in %s: %s\n", ev.FromUserID, ev.Group, ev.Data)
		close(done)
	})
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Stop(ctx)
	if _, err := c.JoinGroup(ctx, "news", nil); err != nil {
		log.Fatal(err)
	}

	publisher, err := client.New(exampleURL(ctx, svc, "dave", "webpubsub.sendToGroup.news"), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := publisher.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer publisher.Stop(ctx)
	if _, err := publisher.SendToGroup(ctx, "news", client.Binary([]byte{1, 2, 3}), nil); err != nil {
		log.Fatal(err)
	}
	<-done
	// Output:
	// dave in news: binary(3 bytes)
}

// Send to a group, skipping the sender (noEcho), and learn why a request was refused.
func ExampleClient_SendToGroup() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	c, err := client.New(exampleURL(ctx, svc, "erin", "webpubsub.sendToGroup.allowed"), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Stop(ctx)

	res, err := c.SendToGroup(ctx, "allowed", client.JSON(map[string]int{"n": 1}), &client.SendToGroupOptions{NoEcho: true})
	fmt.Println("ack:", res.AckID, err)

	_, err = c.SendToGroup(ctx, "other", client.Text("hi"), nil)
	var ackErr *client.AckError
	if errors.As(err, &ackErr) {
		fmt.Println("refused:", ackErr.Name)
	}
	// Output:
	// ack: 1 <nil>
	// refused: Forbidden
}

// Fetch a fresh client access URL for every new connection, as from an app's negotiate
// endpoint, so that reconnects never use an expired token.
func ExampleNewWithURLFunc() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	negotiate := func(ctx context.Context) (string, error) {
		tok, err := svc.ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: "frank"})
		return tok.URL, err
	}
	c, err := client.NewWithURLFunc(negotiate, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Stop(ctx)
	fmt.Println("user:", c.UserID())
	// Output:
	// user: frank
}

// Read why the service refused a connection: the status and the reason of the app's connect
// handler (here a handler.Hub that refuses every client) arrive in a *client.DialError.
func ExampleDialError() {
	ctx := context.Background()
	srv, svc := exampleService(ctx)
	defer srv.Close()

	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{srv.ConnectionString()}})
	if err != nil {
		log.Fatal(err)
	}
	hub.HandleConnect(func(context.Context, *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		return nil, handler.Unauthorized("invalid app token: missing")
	})
	app := httptest.NewServer(hub)
	defer app.Close()
	srv.SetHub(service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{hub.EventHandler(app.URL)}})

	c, err := client.New(exampleURL(ctx, svc, "mallory"), &client.Options{DisableAutoReconnect: true})
	if err != nil {
		log.Fatal(err)
	}
	err = c.Start(ctx)
	if de, ok := errors.AsType[*client.DialError](err); ok {
		fmt.Printf("refused: HTTP %d: %s\n", de.StatusCode, de.Reason)
	}
	// Output:
	// refused: HTTP 401: invalid app token: missing
}
