package service_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/webpubsub-go/webpubsub/service"
)

// Python: WebPubSubServiceClient.from_connection_string(connection_string, hub="hub")
func ExampleNewClientFromConnectionString() {
	connectionString, stop := startFake() // in production: os.Getenv("AZURE_WEBPUBSUB_CONNECTION_STRING")
	defer stop()

	client, err := service.NewClientFromConnectionString(connectionString, "hub", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("hub:", client.Hub())
	// Output:
	// hub: hub
}

// exampleCredential stands in for an azidentity credential such as DefaultAzureCredential.
type exampleCredential struct{}

func (exampleCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "entra-access-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Python: WebPubSubServiceClient(endpoint, hub="hub", credential=DefaultAzureCredential()).
// Without a key, client access tokens come from the service's generateToken operation.
func ExampleNewClient() {
	connectionString, stop := startFake()
	defer stop()
	cs, _ := service.ParseConnectionString(connectionString)

	client, err := service.NewClient(cs.Endpoint, "hub", exampleCredential{}, &service.ClientOptions{
		// Only because the example's fake service is plain http; Azure endpoints are https.
		ClientOptions: azcore.ClientOptions{InsecureAllowCredentialWithHTTP: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.ClientAccessToken(context.Background(), &service.ClientAccessTokenOptions{UserID: "user1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token:", tok.Token)
	// Output:
	// POST /api/hubs/hub/:generateToken?clientType=Default&minutesToExpire=60&userId=user1
	// token: token-from-the-service
}

// Python: service.get_client_access_token(user_id="user1", roles=[...], groups=[...])
func ExampleClient_ClientAccessToken() {
	client, err := service.NewClientFromConnectionString("Endpoint=https://contoso.webpubsub.azure.com;AccessKey=ZXhhbXBsZQ==;Version=1.0;", "chat", nil)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.ClientAccessToken(context.Background(), &service.ClientAccessTokenOptions{
		UserID:       "user1",
		Roles:        []string{"webpubsub.joinLeaveGroup.lobby", "webpubsub.sendToGroup.lobby"},
		Groups:       []string{"lobby"},
		ExpiresAfter: 30 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.BaseURL)
	fmt.Println(strings.HasPrefix(tok.URL, tok.BaseURL+"?access_token="))

	// What the token says (a client or the service verifies it with the key).
	claims := jwt.MapClaims{}
	jwt.NewParser().ParseUnverified(tok.Token, claims)
	fmt.Println(claims["aud"], claims["sub"], claims["role"], claims["webpubsub.group"])

	mqtt, _ := client.ClientAccessToken(context.Background(), &service.ClientAccessTokenOptions{ClientProtocol: service.ClientProtocolMQTT})
	fmt.Println(mqtt.BaseURL)
	// Output:
	// wss://contoso.webpubsub.azure.com/client/hubs/chat
	// true
	// https://contoso.webpubsub.azure.com/client/hubs/chat user1 [webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby] [lobby]
	// wss://contoso.webpubsub.azure.com/clients/mqtt/hubs/chat
}

// Python: service.send_to_all(message={...}), send_to_all("Hello world", content_type="text/plain"),
// send_to_all(io.BytesIO(...), content_type="application/octet-stream")
func ExampleClient_SendToAll() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	if _, err := client.SendToAll(ctx, service.JSON(map[string]string{"from": "user1", "data": "Hello world"}), nil); err != nil {
		log.Fatal(err)
	}
	if _, err := client.SendToAll(ctx, service.Text("Hello world"), &service.SendToAllOptions{Excluded: []string{"conn2"}}); err != nil {
		log.Fatal(err)
	}
	if _, err := client.SendToAll(ctx, service.Binary([]byte("Hello world")), &service.SendToAllOptions{Filter: "userId ne 'user2'", MessageTTLSeconds: 60}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// POST /api/hubs/hub/:send [application/json] {"data":"Hello world","from":"user1"}
	// POST /api/hubs/hub/:send?excluded=conn2 [text/plain] Hello world
	// POST /api/hubs/hub/:send?filter=userId+ne+%27user2%27&messageTtlSeconds=60 [application/octet-stream] Hello world
}

// Python: service.send_to_user("user1", "Hi", content_type="text/plain"),
// send_to_group("lobby", ...), send_to_connection("conn1", ...)
func ExampleClient_SendToUser() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	if _, err := client.SendToUser(ctx, "user1", service.Text("Hi user1"), nil); err != nil {
		log.Fatal(err)
	}
	if _, err := client.SendToGroup(ctx, "lobby", service.JSON("Hi lobby"), &service.SendToGroupOptions{Excluded: []string{"conn1"}}); err != nil {
		log.Fatal(err)
	}
	if _, err := client.SendToConnection(ctx, "conn1", service.Text("Hi conn1"), nil); err != nil {
		log.Fatal(err)
	}
	// Output:
	// POST /api/hubs/hub/users/user1/:send [text/plain] Hi user1
	// POST /api/hubs/hub/groups/lobby/:send?excluded=conn1 [application/json] "Hi lobby"
	// POST /api/hubs/hub/connections/conn1/:send [text/plain] Hi conn1
}

// Python: add_connection_to_group, group_exists, list_connections_in_group,
// remove_connection_from_group, remove_connection_from_all_groups
func ExampleClient_AddConnectionToGroup() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	if _, err := client.AddConnectionToGroup(ctx, "lobby", "conn1", nil); err != nil {
		log.Fatal(err)
	}
	exists, _ := client.GroupExists(ctx, "lobby", nil)
	fmt.Println("lobby exists:", exists.Exists)

	pager := client.ListConnectionsInGroup("lobby", &service.ListConnectionsInGroupOptions{MaxPageSize: 100})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range page.Value {
			fmt.Println("member:", m.ConnectionID, m.UserID)
		}
	}
	client.RemoveConnectionFromGroup(ctx, "lobby", "conn1", nil)
	client.RemoveConnectionFromAllGroups(ctx, "conn1", nil)

	// An unknown connection is an error with the service's code.
	_, err := client.AddConnectionToGroup(ctx, "lobby", "nope", nil)
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		fmt.Println(respErr.StatusCode, respErr.ErrorCode)
	}
	// Output:
	// PUT /api/hubs/hub/groups/lobby/connections/conn1
	// HEAD /api/hubs/hub/groups/lobby
	// lobby exists: true
	// GET /api/hubs/hub/groups/lobby/connections?maxpagesize=100
	// member: conn1 user1
	// DELETE /api/hubs/hub/groups/lobby/connections/conn1
	// DELETE /api/hubs/hub/connections/conn1/groups
	// PUT /api/hubs/hub/groups/lobby/connections/nope
	// 404 Error.Connection.NotExisted
}

// Python: add_user_to_group, user_exists, remove_user_from_group, remove_user_from_all_groups
func ExampleClient_AddUserToGroup() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	client.AddUserToGroup(ctx, "lobby", "user2", nil)
	u, _ := client.UserExists(ctx, "user2", nil)
	fmt.Println("user2 online:", u.Exists)
	client.RemoveUserFromGroup(ctx, "lobby", "user2", nil)
	client.RemoveUserFromAllGroups(ctx, "user2", nil)
	// Output:
	// PUT /api/hubs/hub/users/user2/groups/lobby
	// HEAD /api/hubs/hub/users/user2
	// user2 online: true
	// DELETE /api/hubs/hub/users/user2/groups/lobby
	// DELETE /api/hubs/hub/users/user2/groups
}

// Python: add_connections_to_groups({"groups": [...], "filter": "..."}), remove_connections_from_groups
func ExampleClient_AddConnectionsToGroups() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	client.AddConnectionsToGroups(ctx, []string{"red", "blue"}, "userId eq 'user1'", nil)
	red, _ := client.GroupExists(ctx, "red", nil)
	fmt.Println("red exists:", red.Exists)
	client.RemoveConnectionsFromGroups(ctx, []string{"red", "blue"}, "", nil)
	// Output:
	// POST /api/hubs/hub/:addToGroups [application/json] {"groups":["red","blue"],"filter":"userId eq 'user1'"}
	// HEAD /api/hubs/hub/groups/red
	// red exists: true
	// POST /api/hubs/hub/:removeFromGroups [application/json] {"groups":["red","blue"]}
}

// Python: close_connection, close_user_connections, close_group_connections, close_all_connections,
// connection_exists
func ExampleClient_CloseConnection() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	client.CloseConnection(ctx, "conn1", &service.CloseConnectionOptions{Reason: "kicked"})
	c, _ := client.ConnectionExists(ctx, "conn1", nil)
	fmt.Println("conn1 connected:", c.Exists)
	client.CloseUserConnections(ctx, "user2", &service.CloseUserConnectionsOptions{Reason: "bye"})
	client.CloseGroupConnections(ctx, "lobby", &service.CloseGroupConnectionsOptions{Excluded: []string{"conn2"}})
	client.CloseAllConnections(ctx, &service.CloseAllConnectionsOptions{Reason: "maintenance"})
	// Output:
	// DELETE /api/hubs/hub/connections/conn1?reason=kicked
	// HEAD /api/hubs/hub/connections/conn1
	// conn1 connected: false
	// POST /api/hubs/hub/users/user2/:closeConnections?reason=bye
	// POST /api/hubs/hub/groups/lobby/:closeConnections?excluded=conn2
	// POST /api/hubs/hub/:closeConnections?reason=maintenance
}

// Python: grant_permission("sendToGroup", connection_id="conn1", target_name="lobby"),
// check_permission, revoke_permission
func ExampleClient_GrantPermission() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx := context.Background()

	client.GrantPermission(ctx, service.PermissionSendToGroup, "conn1", "lobby", nil)
	has, _ := client.CheckPermission(ctx, service.PermissionSendToGroup, "conn1", "lobby", nil)
	fmt.Println("may send to lobby:", has.HasPermission)
	client.RevokePermission(ctx, service.PermissionSendToGroup, "conn1", "lobby", nil)
	has, _ = client.CheckPermission(ctx, service.PermissionSendToGroup, "conn1", "lobby", nil)
	fmt.Println("may send to lobby:", has.HasPermission)
	// Output:
	// PUT /api/hubs/hub/permissions/sendToGroup/connections/conn1?targetName=lobby
	// HEAD /api/hubs/hub/permissions/sendToGroup/connections/conn1?targetName=lobby
	// may send to lobby: true
	// DELETE /api/hubs/hub/permissions/sendToGroup/connections/conn1?targetName=lobby
	// HEAD /api/hubs/hub/permissions/sendToGroup/connections/conn1?targetName=lobby
	// may send to lobby: false
}

// Python: get_service_status()
func ExampleClient_GetServiceStatus() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)

	_, err := client.GetServiceStatus(context.Background(), nil)
	fmt.Println("healthy:", err == nil)
	// Output:
	// HEAD /api/health
	// healthy: true
}

// The Python async client (azure.messaging.webpubsubservice.aio) maps to goroutines: the
// same Client is safe for concurrent use, and a context bounds each call.
func Example_concurrent() {
	connectionString, stop := startFake()
	defer stop()
	client, _ := service.NewClientFromConnectionString(connectionString, "hub", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	users := []string{"user1", "user2"}
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			_, errs[i] = client.SendToUser(ctx, u, service.Text("ping"), nil)
		})
	}
	wg.Wait()
	fmt.Println("errors:", errors.Join(errs...))
	// Unordered output:
	// POST /api/hubs/hub/users/user1/:send [text/plain] ping
	// POST /api/hubs/hub/users/user2/:send [text/plain] ping
	// errors: <nil>
}

func ExampleParseConnectionString() {
	cs, err := service.ParseConnectionString("Endpoint=http://localhost;Port=7071;AccessKey=c2VjcmV0;Version=1.0;")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cs.Endpoint, cs.Port)
	fmt.Println(cs) // the key is redacted

	_, err = service.ParseConnectionString("Endpoint=localhost;AccessKey=c2VjcmV0")
	fmt.Println(err)
	// Output:
	// http://localhost:7071 7071
	// Endpoint=http://localhost:7071;AccessKey=REDACTED;Version=1.0;
	// webpubsub: invalid connection string: Endpoint: scheme must be http or https, got ""
}

func ExampleHubSettings_AzCLICommand() {
	settings := service.HubSettings{
		Hub: "chat",
		EventHandlers: []service.EventHandler{{
			URLTemplate:      "https://chat.example.com/api/webpubsub/hubs/{hub}/",
			UserEventPattern: "*",
			SystemEvents:     []string{"connect", "connected", "disconnected"},
		}},
	}
	fmt.Println(settings.AzCLICommand("my-group", "my-webpubsub"))
	// Output:
	// az webpubsub hub create -n my-webpubsub -g my-group --hub-name chat --event-handler url-template="https://chat.example.com/api/webpubsub/hubs/{hub}/" user-event-pattern="*" system-event="connect" system-event="connected" system-event="disconnected" --allow-anonymous false
}
