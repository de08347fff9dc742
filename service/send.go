package service

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// MaxMessageTTLSeconds is the largest MessageTTLSeconds the service accepts.
const MaxMessageTTLSeconds = 300

// SendToAllOptions are the options of [Client.SendToAll].
type SendToAllOptions struct {
	// Excluded lists connection ids that do not receive the message.
	Excluded []string
	// Filter is an OData filter selecting the receivers, e.g. "userId ne 'bot'".
	Filter string
	// MessageTTLSeconds (0-300) drops the message for clients that have not consumed it
	// in time; 0, the default, means it never expires.
	MessageTTLSeconds int
}

// SendToAllResponse is the result of [Client.SendToAll].
type SendToAllResponse struct{}

// SendToGroupOptions are the options of [Client.SendToGroup].
type SendToGroupOptions struct {
	// Excluded lists connection ids that do not receive the message.
	Excluded []string
	// Filter is an OData filter selecting the receivers among the group's connections.
	Filter string
	// MessageTTLSeconds (0-300); 0 means the message never expires.
	MessageTTLSeconds int
}

// SendToGroupResponse is the result of [Client.SendToGroup].
type SendToGroupResponse struct{}

// SendToUserOptions are the options of [Client.SendToUser].
type SendToUserOptions struct {
	// Filter is an OData filter selecting the receivers among the user's connections.
	Filter string
	// MessageTTLSeconds (0-300); 0 means the message never expires.
	MessageTTLSeconds int
}

// SendToUserResponse is the result of [Client.SendToUser].
type SendToUserResponse struct{}

// SendToConnectionOptions are the options of [Client.SendToConnection].
type SendToConnectionOptions struct {
	// MessageTTLSeconds (0-300); 0 means the message never expires.
	MessageTTLSeconds int
}

// SendToConnectionResponse is the result of [Client.SendToConnection].
type SendToConnectionResponse struct{}

func sendQuery(excluded []string, filter string, ttl int) (url.Values, error) {
	if ttl < 0 || ttl > MaxMessageTTLSeconds {
		return nil, fmt.Errorf("%w: MessageTTLSeconds %d is outside 0-%d", ErrInvalidArgument, ttl, MaxMessageTTLSeconds)
	}
	if len(excluded) == 0 && filter == "" && ttl == 0 {
		return nil, nil
	}
	q := url.Values{}
	for _, id := range excluded {
		q.Add("excluded", id)
	}
	if filter != "" {
		q.Set("filter", filter)
	}
	if ttl > 0 {
		q.Set("messageTtlSeconds", strconv.Itoa(ttl))
	}
	return q, nil
}

// SendToAll broadcasts msg to every connection of the hub (POST /api/hubs/{hub}/:send,
// 202). Delivery is fire-and-forget: success means accepted. A non-2xx answer (such as
// 400 for an invalid filter) is an *azcore.ResponseError.
func (c *Client) SendToAll(ctx context.Context, msg Message, opts *SendToAllOptions) (SendToAllResponse, error) {
	var o SendToAllOptions
	if opts != nil {
		o = *opts
	}
	return SendToAllResponse{}, c.sendMessage(ctx, opSendToAll, args{}, msg, o.Excluded, o.Filter, o.MessageTTLSeconds)
}

// SendToGroup sends msg to the connections in group
// (POST /api/hubs/{hub}/groups/{group}/:send, 202). Errors: *azcore.ResponseError.
func (c *Client) SendToGroup(ctx context.Context, group string, msg Message, opts *SendToGroupOptions) (SendToGroupResponse, error) {
	var o SendToGroupOptions
	if opts != nil {
		o = *opts
	}
	if err := checkGroup(group); err != nil {
		return SendToGroupResponse{}, err
	}
	return SendToGroupResponse{}, c.sendMessage(ctx, opSendToGroup, args{group: group}, msg, o.Excluded, o.Filter, o.MessageTTLSeconds)
}

// SendToUser sends msg to the connections of userID
// (POST /api/hubs/{hub}/users/{userId}/:send, 202). Errors: *azcore.ResponseError.
func (c *Client) SendToUser(ctx context.Context, userID string, msg Message, opts *SendToUserOptions) (SendToUserResponse, error) {
	var o SendToUserOptions
	if opts != nil {
		o = *opts
	}
	if err := required("userID", userID); err != nil {
		return SendToUserResponse{}, err
	}
	return SendToUserResponse{}, c.sendMessage(ctx, opSendToUser, args{user: userID}, msg, nil, o.Filter, o.MessageTTLSeconds)
}

// SendToConnection sends msg to one connection
// (POST /api/hubs/{hub}/connections/{connectionId}/:send, 202; also for an unknown id).
// Errors: *azcore.ResponseError.
func (c *Client) SendToConnection(ctx context.Context, connectionID string, msg Message, opts *SendToConnectionOptions) (SendToConnectionResponse, error) {
	var o SendToConnectionOptions
	if opts != nil {
		o = *opts
	}
	if err := required("connectionID", connectionID); err != nil {
		return SendToConnectionResponse{}, err
	}
	return SendToConnectionResponse{}, c.sendMessage(ctx, opSendToConnection, args{connection: connectionID}, msg, nil, "", o.MessageTTLSeconds)
}

func (c *Client) sendMessage(ctx context.Context, o op, a args, msg Message, excluded []string, filter string, ttl int) error {
	bd, err := msg.body()
	if err != nil {
		return err
	}
	q, err := sendQuery(excluded, filter, ttl)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, o, a, q, bd)
	return err
}
