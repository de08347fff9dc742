package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/service"
)

// The REST API of the emulator is what the service client talks to: the same operations,
// statuses and error codes as the Azure service.
func Example_restAPI() {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	cl, err := service.NewClientFromConnectionString(srv.ConnectionString(), "chat", nil)
	if err != nil {
		panic(err)
	}
	// A client joins "lobby" through its token.
	tok, err := cl.ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: "alice", Groups: []string{"lobby"}})
	if err != nil {
		panic(err)
	}
	ws, _, err := websocket.Dial(ctx, tok.URL, &websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
	if err != nil {
		panic(err)
	}
	defer ws.CloseNow()
	read := func() map[string]any {
		_, b, err := ws.Read(ctx)
		if err != nil {
			panic(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			panic(err)
		}
		return m
	}
	fmt.Println(read()["event"])

	// Send to the group with an OData filter.
	if _, err := cl.SendToGroup(ctx, "lobby", service.Text("hello"), &service.SendToGroupOptions{Filter: "userId eq 'alice'"}); err != nil {
		panic(err)
	}
	m := read()
	fmt.Println(m["from"], m["group"], m["data"])

	exists, err := cl.UserExists(ctx, "alice", nil)
	fmt.Println(exists.Exists, err)

	// Errors are the service's: status and x-ms-error-code.
	_, err = cl.AddConnectionToGroup(ctx, "room", "no-such-connection", nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.ErrorCode)
	}
	// Output:
	// connected
	// group lobby hello
	// true <nil>
	// 404 Error.Connection.NotExisted
}
