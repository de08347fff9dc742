package service

import (
	"context"
	"net/http"
)

// ConnectionExistsOptions are the options of [Client.ConnectionExists].
type ConnectionExistsOptions struct{}

// ConnectionExistsResponse is the result of [Client.ConnectionExists].
type ConnectionExistsResponse struct {
	// Exists is true when the connection is connected.
	Exists bool
}

// UserExistsOptions are the options of [Client.UserExists].
type UserExistsOptions struct{}

// UserExistsResponse is the result of [Client.UserExists].
type UserExistsResponse struct {
	// Exists is true when the user has at least one connection.
	Exists bool
}

// GroupExistsOptions are the options of [Client.GroupExists].
type GroupExistsOptions struct{}

// GroupExistsResponse is the result of [Client.GroupExists].
type GroupExistsResponse struct {
	// Exists is true when the group has at least one connection (groups exist only while
	// they are not empty).
	Exists bool
}

// ConnectionExists reports whether the connection is connected
// (HEAD /api/hubs/{hub}/connections/{connectionId}: 200 true, 404 false). Other statuses
// are an *azcore.ResponseError.
func (c *Client) ConnectionExists(ctx context.Context, connectionID string, _ *ConnectionExistsOptions) (ConnectionExistsResponse, error) {
	if err := required("connectionID", connectionID); err != nil {
		return ConnectionExistsResponse{}, err
	}
	ok, err := c.exists(ctx, opConnectionExists, args{connection: connectionID}, nil)
	return ConnectionExistsResponse{Exists: ok}, err
}

// UserExists reports whether the user has a connection
// (HEAD /api/hubs/{hub}/users/{userId}: 200 true, 404 false). Other statuses are an
// *azcore.ResponseError.
func (c *Client) UserExists(ctx context.Context, userID string, _ *UserExistsOptions) (UserExistsResponse, error) {
	if err := required("userID", userID); err != nil {
		return UserExistsResponse{}, err
	}
	ok, err := c.exists(ctx, opUserExists, args{user: userID}, nil)
	return UserExistsResponse{Exists: ok}, err
}

// GroupExists reports whether the group has a connection
// (HEAD /api/hubs/{hub}/groups/{group}: 200 true, 404 false). Other statuses are an
// *azcore.ResponseError.
func (c *Client) GroupExists(ctx context.Context, group string, _ *GroupExistsOptions) (GroupExistsResponse, error) {
	if err := checkGroup(group); err != nil {
		return GroupExistsResponse{}, err
	}
	ok, err := c.exists(ctx, opGroupExists, args{group: group}, nil)
	return GroupExistsResponse{Exists: ok}, err
}

func (c *Client) exists(ctx context.Context, o op, a args, q map[string][]string) (bool, error) {
	resp, err := c.do(ctx, o, a, q, nil)
	if err != nil {
		return false, err
	}
	return resp.StatusCode != http.StatusNotFound, nil
}
