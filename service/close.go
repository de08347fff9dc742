package service

import (
	"context"
	"net/url"
)

// CloseAllConnectionsOptions are the options of [Client.CloseAllConnections].
type CloseAllConnectionsOptions struct {
	// Excluded lists connection ids to keep open.
	Excluded []string
	// Reason is sent to the clients and to the upstream disconnected event.
	Reason string
}

// CloseAllConnectionsResponse is the result of [Client.CloseAllConnections].
type CloseAllConnectionsResponse struct{}

// CloseGroupConnectionsOptions are the options of [Client.CloseGroupConnections].
type CloseGroupConnectionsOptions struct {
	// Excluded lists connection ids to keep open.
	Excluded []string
	// Reason is sent to the clients and to the upstream disconnected event.
	Reason string
}

// CloseGroupConnectionsResponse is the result of [Client.CloseGroupConnections].
type CloseGroupConnectionsResponse struct{}

// CloseUserConnectionsOptions are the options of [Client.CloseUserConnections].
type CloseUserConnectionsOptions struct {
	// Excluded lists connection ids to keep open.
	Excluded []string
	// Reason is sent to the clients and to the upstream disconnected event.
	Reason string
}

// CloseUserConnectionsResponse is the result of [Client.CloseUserConnections].
type CloseUserConnectionsResponse struct{}

// CloseConnectionOptions are the options of [Client.CloseConnection].
type CloseConnectionOptions struct {
	// Reason is sent to the client and to the upstream disconnected event.
	Reason string
}

// CloseConnectionResponse is the result of [Client.CloseConnection].
type CloseConnectionResponse struct{}

func closeQuery(excluded []string, reason string) url.Values {
	q := url.Values{}
	for _, id := range excluded {
		q.Add("excluded", id)
	}
	if reason != "" {
		q.Set("reason", reason)
	}
	return q
}

// CloseAllConnections closes every connection of the hub
// (POST /api/hubs/{hub}/:closeConnections, 204). Errors: *azcore.ResponseError.
func (c *Client) CloseAllConnections(ctx context.Context, opts *CloseAllConnectionsOptions) (CloseAllConnectionsResponse, error) {
	var o CloseAllConnectionsOptions
	if opts != nil {
		o = *opts
	}
	_, err := c.do(ctx, opCloseAllConnections, args{}, closeQuery(o.Excluded, o.Reason), &body{})
	return CloseAllConnectionsResponse{}, err
}

// CloseGroupConnections closes the connections in group
// (POST /api/hubs/{hub}/groups/{group}/:closeConnections, 204). Errors: *azcore.ResponseError.
func (c *Client) CloseGroupConnections(ctx context.Context, group string, opts *CloseGroupConnectionsOptions) (CloseGroupConnectionsResponse, error) {
	var o CloseGroupConnectionsOptions
	if opts != nil {
		o = *opts
	}
	if err := checkGroup(group); err != nil {
		return CloseGroupConnectionsResponse{}, err
	}
	_, err := c.do(ctx, opCloseGroupConnections, args{group: group}, closeQuery(o.Excluded, o.Reason), &body{})
	return CloseGroupConnectionsResponse{}, err
}

// CloseUserConnections closes the connections of userID
// (POST /api/hubs/{hub}/users/{userId}/:closeConnections, 204). Errors: *azcore.ResponseError.
func (c *Client) CloseUserConnections(ctx context.Context, userID string, opts *CloseUserConnectionsOptions) (CloseUserConnectionsResponse, error) {
	var o CloseUserConnectionsOptions
	if opts != nil {
		o = *opts
	}
	if err := required("userID", userID); err != nil {
		return CloseUserConnectionsResponse{}, err
	}
	_, err := c.do(ctx, opCloseUserConnections, args{user: userID}, closeQuery(o.Excluded, o.Reason), &body{})
	return CloseUserConnectionsResponse{}, err
}

// CloseConnection closes one connection (DELETE /api/hubs/{hub}/connections/{connectionId},
// 204; also for an unknown id). Errors: *azcore.ResponseError.
func (c *Client) CloseConnection(ctx context.Context, connectionID string, opts *CloseConnectionOptions) (CloseConnectionResponse, error) {
	var o CloseConnectionOptions
	if opts != nil {
		o = *opts
	}
	if err := required("connectionID", connectionID); err != nil {
		return CloseConnectionResponse{}, err
	}
	_, err := c.do(ctx, opCloseConnection, args{connection: connectionID}, closeQuery(nil, o.Reason), nil)
	return CloseConnectionResponse{}, err
}
