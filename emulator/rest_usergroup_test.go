package emulator

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestAddUserToGroupCurrentConnectionsOnly pins the emulator's reading of AddUserToGroup
// (spec rest-api.md §4.4 and the recorded 404 Warning.User.NotExisted for a user without
// connections): the user's current connections join, later ones do not.
func TestAddUserToGroupCurrentConnectionsOnly(t *testing.T) {
	s := startEmulator(t, Config{})
	cl, err := service.NewClientFromConnectionString(s.ConnectionString(), "chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	members := func() []string {
		var ids []string
		for _, m := range s.hub("chat").listConnectionsInGroup("room") {
			ids = append(ids, m.connectionID)
		}
		return ids
	}

	// No connection yet: 404, and nothing is remembered.
	_, err = cl.AddUserToGroup(ctx, "room", "alice", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != "Warning.User.NotExisted" {
		t.Fatalf("AddUserToGroup without connections: %v, want 404 Warning.User.NotExisted", err)
	}
	_, first := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "alice"})
	if got := members(); len(got) != 0 {
		t.Fatalf("group members after connecting = %v, want none (a failed add is not remembered)", got)
	}

	// With a connection: it joins; a later connection of the same user does not.
	if _, err := cl.AddUserToGroup(ctx, "room", "alice", nil); err != nil {
		t.Fatalf("AddUserToGroup: %v", err)
	}
	_, second := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "alice"})
	if got := members(); !slices.Equal(got, []string{first.ConnectionID}) {
		t.Fatalf("group members = %v, want only the connection that existed at the call (%s), not %s", got, first.ConnectionID, second.ConnectionID)
	}
}
