package service

import (
	"context"
	"fmt"
	"net/url"
)

// Permission is a connection permission the REST API grants, revokes and checks.
type Permission string

// Permissions. Granting PermissionJoinLeaveGroup for group g is equivalent to the client
// role "webpubsub.joinLeaveGroup.g"; PermissionSendToGroup to "webpubsub.sendToGroup.g".
const (
	PermissionSendToGroup    Permission = "sendToGroup"
	PermissionJoinLeaveGroup Permission = "joinLeaveGroup"
)

// String returns the permission's wire name.
func (p Permission) String() string { return string(p) }

// GrantPermissionOptions are the options of [Client.GrantPermission].
type GrantPermissionOptions struct{}

// GrantPermissionResponse is the result of [Client.GrantPermission].
type GrantPermissionResponse struct{}

// RevokePermissionOptions are the options of [Client.RevokePermission].
type RevokePermissionOptions struct{}

// RevokePermissionResponse is the result of [Client.RevokePermission].
type RevokePermissionResponse struct{}

// CheckPermissionOptions are the options of [Client.CheckPermission].
type CheckPermissionOptions struct{}

// CheckPermissionResponse is the result of [Client.CheckPermission].
type CheckPermissionResponse struct {
	// HasPermission is true when the connection holds the permission for the group.
	HasPermission bool
}

func permissionArgs(p Permission, connectionID, targetGroup string) (args, url.Values, error) {
	switch p {
	case PermissionSendToGroup, PermissionJoinLeaveGroup:
	default:
		return args{}, nil, fmt.Errorf("%w: unknown permission %q (want sendToGroup or joinLeaveGroup)", ErrInvalidArgument, string(p))
	}
	if err := required("connectionID", connectionID); err != nil {
		return args{}, nil, err
	}
	// The service rejects a revoke without targetName (400), so it is always required.
	if err := checkGroup(targetGroup); err != nil {
		return args{}, nil, fmt.Errorf("target group: %w", err)
	}
	return args{permission: string(p), connection: connectionID}, url.Values{"targetName": {targetGroup}}, nil
}

// GrantPermission grants the connection permission p on targetGroup
// (PUT /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}?targetName=…,
// 200). An unknown connection is a 404 *azcore.ResponseError with ErrorCode
// "Info.Connection.NotExisted".
func (c *Client) GrantPermission(ctx context.Context, p Permission, connectionID, targetGroup string, _ *GrantPermissionOptions) (GrantPermissionResponse, error) {
	a, q, err := permissionArgs(p, connectionID, targetGroup)
	if err != nil {
		return GrantPermissionResponse{}, err
	}
	_, err = c.do(ctx, opGrantPermission, a, q, nil)
	return GrantPermissionResponse{}, err
}

// RevokePermission revokes permission p on targetGroup from the connection
// (DELETE …/permissions/{permission}/connections/{connectionId}?targetName=…, 204; also
// for an unknown connection). Errors: *azcore.ResponseError.
func (c *Client) RevokePermission(ctx context.Context, p Permission, connectionID, targetGroup string, _ *RevokePermissionOptions) (RevokePermissionResponse, error) {
	a, q, err := permissionArgs(p, connectionID, targetGroup)
	if err != nil {
		return RevokePermissionResponse{}, err
	}
	_, err = c.do(ctx, opRevokePermission, a, q, nil)
	return RevokePermissionResponse{}, err
}

// CheckPermission reports whether the connection holds permission p on targetGroup
// (HEAD …/permissions/{permission}/connections/{connectionId}?targetName=…: 200 true, 404
// false, also for an unknown connection). Other statuses are an *azcore.ResponseError.
func (c *Client) CheckPermission(ctx context.Context, p Permission, connectionID, targetGroup string, _ *CheckPermissionOptions) (CheckPermissionResponse, error) {
	a, q, err := permissionArgs(p, connectionID, targetGroup)
	if err != nil {
		return CheckPermissionResponse{}, err
	}
	ok, err := c.exists(ctx, opCheckPermission, a, q)
	return CheckPermissionResponse{HasPermission: ok}, err
}
