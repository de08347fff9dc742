package emulator

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestRESTServiceClient runs every operation of the project's service client against the
// emulator, end to end: connection string, access-key JWTs, paths, queries, bodies and
// statuses, with WebSocket clients to see the effects.
func TestRESTServiceClient(t *testing.T) {
	env := newRESTEnv(t, Config{})
	ctx := t.Context()
	cl, err := service.NewClientFromConnectionString(env.srv.ConnectionString(), "chat", nil)
	if err != nil {
		t.Fatalf("NewClientFromConnectionString(%s): %v", env.srv.ConnectionString(), err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	want404 := func(what string, err error, code string) {
		t.Helper()
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != code {
			t.Errorf("%s: error %v, want a 404 *azcore.ResponseError with code %s", what, err, code)
		}
	}

	_, err = cl.GetServiceStatus(ctx, nil)
	must("GetServiceStatus", err)

	dial := func(o *service.ClientAccessTokenOptions) *restClient {
		tok, err := cl.ClientAccessToken(ctx, o)
		must("ClientAccessToken", err)
		return env.dialURL(tok.URL)
	}
	alice := dial(&service.ClientAccessTokenOptions{UserID: "alice", Groups: []string{"lobby"}})
	bob := dial(&service.ClientAccessTokenOptions{UserID: "bob", Roles: []string{"webpubsub.sendToGroup.lobby"}})
	anon := dial(nil)
	all := []*restClient{alice, bob, anon}
	if alice.user != "alice" || anon.user != "" {
		t.Fatalf("users %q %q, want alice and anonymous", alice.user, anon.user)
	}
	step := 1000
	expect := func(want map[*restClient][]wantFrame) {
		t.Helper()
		step++
		env.expectDeliveries(t, all, want, step)
	}
	srv := func(dataType, data string) wantFrame { return wantFrame{"server", "", dataType, data} }

	// Sends.
	_, err = cl.SendToAll(ctx, service.Text("hello"), nil)
	must("SendToAll", err)
	expect(map[*restClient][]wantFrame{alice: {srv("text", "hello")}, bob: {srv("text", "hello")}, anon: {srv("text", "hello")}})

	_, err = cl.SendToAll(ctx, service.JSON(map[string]int{"n": 1}), &service.SendToAllOptions{Excluded: []string{bob.id}, MessageTTLSeconds: 30})
	must("SendToAll JSON excluded", err)
	expect(map[*restClient][]wantFrame{alice: {srv("json", `{"n":1}`)}, anon: {srv("json", `{"n":1}`)}})

	_, err = cl.SendToAll(ctx, service.Text("filtered"), &service.SendToAllOptions{Filter: "userId ne null"})
	must("SendToAll filter", err)
	expect(map[*restClient][]wantFrame{alice: {srv("text", "filtered")}, bob: {srv("text", "filtered")}})

	_, err = cl.SendToGroup(ctx, "lobby", service.Binary([]byte{0xff}), nil)
	must("SendToGroup", err)
	expect(map[*restClient][]wantFrame{alice: {{"group", "lobby", "binary", "/w=="}}})

	_, err = cl.SendToUser(ctx, "bob", service.Text("to bob"), &service.SendToUserOptions{Filter: "connectionId eq '" + bob.id + "'"})
	must("SendToUser", err)
	expect(map[*restClient][]wantFrame{bob: {srv("text", "to bob")}})

	_, err = cl.SendToConnection(ctx, anon.id, service.Text("direct"), nil)
	must("SendToConnection", err)
	expect(map[*restClient][]wantFrame{anon: {srv("text", "direct")}})

	_, err = cl.SendToAll(ctx, service.Text("x"), &service.SendToAllOptions{Filter: "invalid filter"})
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.ErrorCode != "Error.BadRequest" {
		t.Errorf("SendToAll with an invalid filter: %v, want a 400 Error.BadRequest", err)
	}

	// Existence.
	for _, c := range []struct {
		name string
		f    func() (bool, error)
		want bool
	}{
		{"ConnectionExists", func() (bool, error) { r, err := cl.ConnectionExists(ctx, alice.id, nil); return r.Exists, err }, true},
		{"ConnectionExists unknown", func() (bool, error) { r, err := cl.ConnectionExists(ctx, "nope", nil); return r.Exists, err }, false},
		{"UserExists", func() (bool, error) { r, err := cl.UserExists(ctx, "bob", nil); return r.Exists, err }, true},
		{"UserExists unknown", func() (bool, error) { r, err := cl.UserExists(ctx, "carol", nil); return r.Exists, err }, false},
		{"GroupExists", func() (bool, error) { r, err := cl.GroupExists(ctx, "lobby", nil); return r.Exists, err }, true},
		{"GroupExists unknown", func() (bool, error) { r, err := cl.GroupExists(ctx, "attic", nil); return r.Exists, err }, false},
	} {
		got, err := c.f()
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.name, got, err, c.want)
		}
	}

	// Groups.
	_, err = cl.AddConnectionToGroup(ctx, "room", bob.id, nil)
	must("AddConnectionToGroup", err)
	_, err = cl.AddUserToGroup(ctx, "room", "alice", nil)
	must("AddUserToGroup", err)
	_, err = cl.AddConnectionToGroup(ctx, "room", "nope", nil)
	want404("AddConnectionToGroup unknown", err, "Error.Connection.NotExisted")
	_, err = cl.AddUserToGroup(ctx, "room", "carol", nil)
	want404("AddUserToGroup unknown", err, "Warning.User.NotExisted")

	var listed []string
	pager := cl.ListConnectionsInGroup("room", &service.ListConnectionsInGroupOptions{MaxPageSize: 1})
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		must("ListConnectionsInGroup", err)
		pages++
		for _, m := range page.Value {
			listed = append(listed, m.ConnectionID+"/"+m.UserID)
		}
	}
	slices.Sort(listed)
	wantListed := []string{alice.id + "/alice", bob.id + "/bob"}
	slices.Sort(wantListed)
	if !slices.Equal(listed, wantListed) || pages != 2 {
		t.Errorf("ListConnectionsInGroup = %v in %d pages, want %v in 2", listed, pages, wantListed)
	}

	_, err = cl.RemoveConnectionFromGroup(ctx, "room", bob.id, nil)
	must("RemoveConnectionFromGroup", err)
	_, err = cl.RemoveUserFromGroup(ctx, "room", "alice", nil)
	must("RemoveUserFromGroup", err)
	if r, err := cl.GroupExists(ctx, "room", nil); err != nil || r.Exists {
		t.Errorf("GroupExists(room) after removals = %v, %v; want false", r.Exists, err)
	}

	_, err = cl.AddConnectionsToGroups(ctx, []string{"x", "y"}, "userId eq 'alice' or userId eq null", nil)
	must("AddConnectionsToGroups", err)
	_, err = cl.RemoveConnectionsFromGroups(ctx, []string{"y"}, "userId eq null", nil)
	must("RemoveConnectionsFromGroups", err)
	_, err = cl.SendToGroup(ctx, "x", service.Text("to x"), &service.SendToGroupOptions{Excluded: []string{anon.id}})
	must("SendToGroup x", err)
	_, err = cl.SendToGroup(ctx, "y", service.Text("to y"), nil)
	must("SendToGroup y", err)
	expect(map[*restClient][]wantFrame{alice: {{"group", "x", "text", "to x"}, {"group", "y", "text", "to y"}}})

	_, err = cl.RemoveConnectionFromAllGroups(ctx, anon.id, nil)
	must("RemoveConnectionFromAllGroups", err)
	_, err = cl.RemoveUserFromAllGroups(ctx, "alice", nil)
	must("RemoveUserFromAllGroups", err)
	for _, g := range []string{"x", "y", "lobby"} {
		if r, err := cl.GroupExists(ctx, g, nil); err != nil || r.Exists {
			t.Errorf("GroupExists(%s) after removing all = %v, %v; want false", g, r.Exists, err)
		}
	}

	// Permissions.
	check := func(p service.Permission, conn, group string) bool {
		t.Helper()
		r, err := cl.CheckPermission(ctx, p, conn, group, nil)
		must("CheckPermission", err)
		return r.HasPermission
	}
	if !check(service.PermissionSendToGroup, bob.id, "lobby") {
		t.Error("bob's role webpubsub.sendToGroup.lobby does not show in CheckPermission")
	}
	if check(service.PermissionJoinLeaveGroup, alice.id, "room") {
		t.Error("alice has joinLeaveGroup on room before the grant")
	}
	_, err = cl.GrantPermission(ctx, service.PermissionJoinLeaveGroup, alice.id, "room", nil)
	must("GrantPermission", err)
	if !check(service.PermissionJoinLeaveGroup, alice.id, "room") {
		t.Error("alice lacks joinLeaveGroup on room after the grant")
	}
	_, err = cl.RevokePermission(ctx, service.PermissionJoinLeaveGroup, alice.id, "room", nil)
	must("RevokePermission", err)
	if check(service.PermissionJoinLeaveGroup, alice.id, "room") {
		t.Error("alice keeps joinLeaveGroup on room after the revoke")
	}
	_, err = cl.GrantPermission(ctx, service.PermissionSendToGroup, "nope", "room", nil)
	want404("GrantPermission unknown", err, "Info.Connection.NotExisted")

	// Closing.
	extra := dial(&service.ClientAccessTokenOptions{UserID: "bob", Groups: []string{"g"}})
	last := dial(&service.ClientAccessTokenOptions{UserID: "dave", Groups: []string{"g"}})
	_, err = cl.CloseConnection(ctx, anon.id, &service.CloseConnectionOptions{Reason: "one"})
	must("CloseConnection", err)
	anon.expectClosed(t, "one")
	_, err = cl.CloseUserConnections(ctx, "bob", &service.CloseUserConnectionsOptions{Excluded: []string{extra.id}, Reason: "user"})
	must("CloseUserConnections", err)
	bob.expectClosed(t, "user")
	_, err = cl.CloseGroupConnections(ctx, "g", &service.CloseGroupConnectionsOptions{Excluded: []string{last.id}, Reason: "group"})
	must("CloseGroupConnections", err)
	extra.expectClosed(t, "group")
	_, err = cl.CloseAllConnections(ctx, &service.CloseAllConnectionsOptions{Reason: "all"})
	must("CloseAllConnections", err)
	alice.expectClosed(t, "all")
	last.expectClosed(t, "all")
	if r, err := cl.UserExists(ctx, "alice", nil); err != nil || r.Exists {
		t.Errorf("UserExists(alice) after closing all = %v, %v; want false", r.Exists, err)
	}
}
