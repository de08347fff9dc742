package service

import (
	"context"
	"encoding/json"
	"fmt"
)

// AddConnectionToGroupOptions are the options of [Client.AddConnectionToGroup].
type AddConnectionToGroupOptions struct{}

// AddConnectionToGroupResponse is the result of [Client.AddConnectionToGroup].
type AddConnectionToGroupResponse struct{}

// RemoveConnectionFromGroupOptions are the options of [Client.RemoveConnectionFromGroup].
type RemoveConnectionFromGroupOptions struct{}

// RemoveConnectionFromGroupResponse is the result of [Client.RemoveConnectionFromGroup].
type RemoveConnectionFromGroupResponse struct{}

// RemoveConnectionFromAllGroupsOptions are the options of [Client.RemoveConnectionFromAllGroups].
type RemoveConnectionFromAllGroupsOptions struct{}

// RemoveConnectionFromAllGroupsResponse is the result of [Client.RemoveConnectionFromAllGroups].
type RemoveConnectionFromAllGroupsResponse struct{}

// AddUserToGroupOptions are the options of [Client.AddUserToGroup].
type AddUserToGroupOptions struct{}

// AddUserToGroupResponse is the result of [Client.AddUserToGroup].
type AddUserToGroupResponse struct{}

// RemoveUserFromGroupOptions are the options of [Client.RemoveUserFromGroup].
type RemoveUserFromGroupOptions struct{}

// RemoveUserFromGroupResponse is the result of [Client.RemoveUserFromGroup].
type RemoveUserFromGroupResponse struct{}

// RemoveUserFromAllGroupsOptions are the options of [Client.RemoveUserFromAllGroups].
type RemoveUserFromAllGroupsOptions struct{}

// RemoveUserFromAllGroupsResponse is the result of [Client.RemoveUserFromAllGroups].
type RemoveUserFromAllGroupsResponse struct{}

// AddConnectionsToGroupsOptions are the options of [Client.AddConnectionsToGroups].
type AddConnectionsToGroupsOptions struct{}

// AddConnectionsToGroupsResponse is the result of [Client.AddConnectionsToGroups].
type AddConnectionsToGroupsResponse struct{}

// RemoveConnectionsFromGroupsOptions are the options of [Client.RemoveConnectionsFromGroups].
type RemoveConnectionsFromGroupsOptions struct{}

// RemoveConnectionsFromGroupsResponse is the result of [Client.RemoveConnectionsFromGroups].
type RemoveConnectionsFromGroupsResponse struct{}

// AddConnectionToGroup adds a connection to group
// (PUT /api/hubs/{hub}/groups/{group}/connections/{connectionId}, 200). An unknown
// connection is a 404 *azcore.ResponseError with ErrorCode "Error.Connection.NotExisted".
func (c *Client) AddConnectionToGroup(ctx context.Context, group, connectionID string, _ *AddConnectionToGroupOptions) (AddConnectionToGroupResponse, error) {
	if err := checkGroupAnd(group, "connectionID", connectionID); err != nil {
		return AddConnectionToGroupResponse{}, err
	}
	_, err := c.do(ctx, opAddConnectionToGroup, args{group: group, connection: connectionID}, nil, nil)
	return AddConnectionToGroupResponse{}, err
}

// RemoveConnectionFromGroup removes a connection from group
// (DELETE /api/hubs/{hub}/groups/{group}/connections/{connectionId}, 204; also for unknown
// ids). Errors: *azcore.ResponseError.
func (c *Client) RemoveConnectionFromGroup(ctx context.Context, group, connectionID string, _ *RemoveConnectionFromGroupOptions) (RemoveConnectionFromGroupResponse, error) {
	if err := checkGroupAnd(group, "connectionID", connectionID); err != nil {
		return RemoveConnectionFromGroupResponse{}, err
	}
	_, err := c.do(ctx, opRemoveConnectionFromGroup, args{group: group, connection: connectionID}, nil, nil)
	return RemoveConnectionFromGroupResponse{}, err
}

// RemoveConnectionFromAllGroups removes a connection from every group it is in
// (DELETE /api/hubs/{hub}/connections/{connectionId}/groups, 204). Errors:
// *azcore.ResponseError.
func (c *Client) RemoveConnectionFromAllGroups(ctx context.Context, connectionID string, _ *RemoveConnectionFromAllGroupsOptions) (RemoveConnectionFromAllGroupsResponse, error) {
	if err := required("connectionID", connectionID); err != nil {
		return RemoveConnectionFromAllGroupsResponse{}, err
	}
	_, err := c.do(ctx, opRemoveConnectionFromAllGroups, args{connection: connectionID}, nil, nil)
	return RemoveConnectionFromAllGroupsResponse{}, err
}

// AddUserToGroup adds the user's current connections to group
// (PUT /api/hubs/{hub}/users/{userId}/groups/{group}, 200). Connections the user opens
// later are not added. A user without a live connection is a 404 *azcore.ResponseError
// with ErrorCode "Warning.User.NotExisted".
func (c *Client) AddUserToGroup(ctx context.Context, group, userID string, _ *AddUserToGroupOptions) (AddUserToGroupResponse, error) {
	if err := checkGroupAnd(group, "userID", userID); err != nil {
		return AddUserToGroupResponse{}, err
	}
	_, err := c.do(ctx, opAddUserToGroup, args{group: group, user: userID}, nil, nil)
	return AddUserToGroupResponse{}, err
}

// RemoveUserFromGroup removes the user's connections from group
// (DELETE /api/hubs/{hub}/users/{userId}/groups/{group}, 204). Errors: *azcore.ResponseError.
func (c *Client) RemoveUserFromGroup(ctx context.Context, group, userID string, _ *RemoveUserFromGroupOptions) (RemoveUserFromGroupResponse, error) {
	if err := checkGroupAnd(group, "userID", userID); err != nil {
		return RemoveUserFromGroupResponse{}, err
	}
	_, err := c.do(ctx, opRemoveUserFromGroup, args{group: group, user: userID}, nil, nil)
	return RemoveUserFromGroupResponse{}, err
}

// RemoveUserFromAllGroups removes the user's connections from every group
// (DELETE /api/hubs/{hub}/users/{userId}/groups, 204). Errors: *azcore.ResponseError.
func (c *Client) RemoveUserFromAllGroups(ctx context.Context, userID string, _ *RemoveUserFromAllGroupsOptions) (RemoveUserFromAllGroupsResponse, error) {
	if err := required("userID", userID); err != nil {
		return RemoveUserFromAllGroupsResponse{}, err
	}
	_, err := c.do(ctx, opRemoveUserFromAllGroups, args{user: userID}, nil, nil)
	return RemoveUserFromAllGroupsResponse{}, err
}

// AddConnectionsToGroups adds every connection matching the OData filter to every group in
// groups (POST /api/hubs/{hub}/:addToGroups with {"groups":[…],"filter":"…"}, 200). An
// empty filter is omitted from the body. Errors: *azcore.ResponseError (400 for an
// invalid filter).
func (c *Client) AddConnectionsToGroups(ctx context.Context, groups []string, filter string, _ *AddConnectionsToGroupsOptions) (AddConnectionsToGroupsResponse, error) {
	bd, err := groupsBody(groups, filter)
	if err != nil {
		return AddConnectionsToGroupsResponse{}, err
	}
	_, err = c.do(ctx, opAddConnectionsToGroups, args{}, nil, bd)
	return AddConnectionsToGroupsResponse{}, err
}

// RemoveConnectionsFromGroups removes every connection matching the OData filter from
// every group in groups (POST /api/hubs/{hub}/:removeFromGroups, 200). Errors:
// *azcore.ResponseError.
func (c *Client) RemoveConnectionsFromGroups(ctx context.Context, groups []string, filter string, _ *RemoveConnectionsFromGroupsOptions) (RemoveConnectionsFromGroupsResponse, error) {
	bd, err := groupsBody(groups, filter)
	if err != nil {
		return RemoveConnectionsFromGroupsResponse{}, err
	}
	_, err = c.do(ctx, opRemoveConnectionsFromGroups, args{}, nil, bd)
	return RemoveConnectionsFromGroupsResponse{}, err
}

func groupsBody(groups []string, filter string) (*body, error) {
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: groups must not be empty", ErrInvalidArgument)
	}
	for _, g := range groups {
		if err := checkGroup(g); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(struct {
		Groups []string `json:"groups"`
		Filter string   `json:"filter,omitempty"`
	}{groups, filter})
	if err != nil {
		return nil, err
	}
	return &body{contentType: ContentTypeJSON, data: b}, nil
}

func checkGroupAnd(group, name, value string) error {
	if err := checkGroup(group); err != nil {
		return err
	}
	return required(name, value)
}
