//go:build live

package service_test

import (
	"errors"
	"os"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestLive runs the operations that need no live client connection against a real
// resource: go test -tags live ./service -run TestLive with
// AZURE_WEBPUBSUB_CONNECTION_STRING set. It never runs in CI.
func TestLive(t *testing.T) {
	cs := os.Getenv("AZURE_WEBPUBSUB_CONNECTION_STRING")
	if cs == "" {
		t.Skip("AZURE_WEBPUBSUB_CONNECTION_STRING is not set")
	}
	c, err := service.NewClientFromConnectionString(cs, "livetest", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.GetServiceStatus(ctx, nil); err != nil {
		t.Fatalf("health: %v", err)
	}
	if _, err := c.SendToAll(ctx, service.Text("hello"), &service.SendToAllOptions{Excluded: []string{"nobody"}, MessageTTLSeconds: 10}); err != nil {
		t.Errorf("SendToAll: %v", err)
	}
	if r, err := c.ConnectionExists(ctx, "no-such-connection", nil); err != nil || r.Exists {
		t.Errorf("ConnectionExists = %v, %v, want false", r.Exists, err)
	}
	_, err = c.AddConnectionToGroup(ctx, "g", "no-such-connection", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("AddConnectionToGroup(unknown) = %v, want a 404 ResponseError", err)
	}
	page, err := c.ListConnectionsInGroup("empty-group", nil).NextPage(ctx)
	if err != nil || len(page.Value) != 0 {
		t.Errorf("ListConnectionsInGroup(empty) = %v, %v", page.Value, err)
	}
	if _, err := c.SendToAll(ctx, service.Text("x"), &service.SendToAllOptions{Filter: "invalid filter"}); !errors.As(err, &re) || re.StatusCode != 400 {
		t.Errorf("bad filter = %v, want a 400 ResponseError", err)
	}
}
