package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"
)

// AckResult describes the ack of a request.
type AckResult struct {
	// AckID is the ack id the request carried; 0 for fire-and-forget sends.
	AckID uint64
	// Duplicated reports that the service had already processed this ack id (an earlier
	// attempt went through before the connection dropped); the request took effect once.
	Duplicated bool
}

// JoinGroupOptions are the options of [Client.JoinGroup]; nil means the defaults.
type JoinGroupOptions struct {
	// AckID is the ack id to use; 0 picks the next one of the client. A caller-chosen id lets
	// an application retry across clients; it must be unique for the connection.
	AckID uint64
	// NoAutoRejoin keeps this group out of the automatic rejoin after a new connection.
	NoAutoRejoin bool
}

// JoinGroupResponse is the result of [Client.JoinGroup].
type JoinGroupResponse struct{ AckResult }

// LeaveGroupOptions are the options of [Client.LeaveGroup]; nil means the defaults.
type LeaveGroupOptions struct {
	// AckID: see [JoinGroupOptions.AckID].
	AckID uint64
}

// LeaveGroupResponse is the result of [Client.LeaveGroup].
type LeaveGroupResponse struct{ AckResult }

// SendToGroupOptions are the options of [Client.SendToGroup]; nil means the defaults.
type SendToGroupOptions struct {
	// AckID: see [JoinGroupOptions.AckID]. Ignored with FireAndForget.
	AckID uint64
	// NoEcho keeps the message from this connection, even when it is in the group.
	NoEcho bool
	// FireAndForget sends without an ack id and returns once the frame is written: the
	// service reports no error (a missing permission goes unnoticed) and a drop may lose
	// the message.
	FireAndForget bool
}

// SendToGroupResponse is the result of [Client.SendToGroup].
type SendToGroupResponse struct{ AckResult }

// SendEventOptions are the options of [Client.SendEvent]; nil means the defaults.
type SendEventOptions struct {
	// AckID: see [JoinGroupOptions.AckID]. Ignored with FireAndForget.
	AckID uint64
	// FireAndForget: see [SendToGroupOptions.FireAndForget].
	FireAndForget bool
}

// SendEventResponse is the result of [Client.SendEvent].
type SendEventResponse struct{ AckResult }

// JoinGroup joins group and waits for the service's ack. Unless [Options.DisableAutoRejoinGroups]
// or opts.NoAutoRejoin, the client joins the group again after every new connection.
//
// Like every operation it waits for a usable connection while the client recovers or
// reconnects, resends with the same ack id when the connection drops before the ack or the
// service reports a transient error ([Options.MessageRetry]), and honours ctx. A refusal is
// an [*AckError] (Name [AckErrorForbidden] without the joinLeaveGroup role); before Start it
// returns [ErrNotStarted].
func (c *Client) JoinGroup(ctx context.Context, group string, opts *JoinGroupOptions) (JoinGroupResponse, error) {
	if opts == nil {
		opts = &JoinGroupOptions{}
	}
	if err := checkName("group", group); err != nil {
		return JoinGroupResponse{}, err
	}
	res, err := c.request(ctx, &upstream{typ: frameJoinGroup, group: group}, opts.AckID)
	if err == nil && c.cfg.autoRejoin && !opts.NoAutoRejoin {
		c.mu.Lock()
		c.groups[group] = struct{}{}
		c.mu.Unlock()
	}
	return JoinGroupResponse{res}, err
}

// LeaveGroup leaves group, waits for the ack and removes the group from the automatic rejoin.
// See [Client.JoinGroup] for retries and errors.
func (c *Client) LeaveGroup(ctx context.Context, group string, opts *LeaveGroupOptions) (LeaveGroupResponse, error) {
	if opts == nil {
		opts = &LeaveGroupOptions{}
	}
	if err := checkName("group", group); err != nil {
		return LeaveGroupResponse{}, err
	}
	res, err := c.request(ctx, &upstream{typ: frameLeaveGroup, group: group}, opts.AckID)
	if err == nil {
		c.mu.Lock()
		delete(c.groups, group)
		c.mu.Unlock()
	}
	return LeaveGroupResponse{res}, err
}

// SendToGroup publishes msg to group (the connection need not be a member) and waits for the
// ack, unless opts.FireAndForget. See [Client.JoinGroup] for retries and errors; without the
// sendToGroup role the error is an [*AckError] named [AckErrorForbidden].
func (c *Client) SendToGroup(ctx context.Context, group string, msg Message, opts *SendToGroupOptions) (SendToGroupResponse, error) {
	if opts == nil {
		opts = &SendToGroupOptions{}
	}
	u := &upstream{typ: frameSendToGroup, group: group, noEcho: opts.NoEcho, data: &msg}
	res, err := c.send(ctx, "group", group, u, opts.AckID, opts.FireAndForget)
	return SendToGroupResponse{res}, err
}

// SendEvent sends the user event named event with msg to the app's upstream handler and
// waits for the ack, which the service sends once the handler answered (its reply arrives as
// a server message). See [Client.JoinGroup] for retries and errors.
func (c *Client) SendEvent(ctx context.Context, event string, msg Message, opts *SendEventOptions) (SendEventResponse, error) {
	if opts == nil {
		opts = &SendEventOptions{}
	}
	u := &upstream{typ: frameEvent, event: event, data: &msg}
	res, err := c.send(ctx, "event", event, u, opts.AckID, opts.FireAndForget)
	return SendEventResponse{res}, err
}

// send checks the name (of kind what) and the message of u, then sends u with an ack id (or
// without one when fireAndForget).
func (c *Client) send(ctx context.Context, what, name string, u *upstream, ackID uint64, fireAndForget bool) (AckResult, error) {
	if err := checkName(what, name); err != nil {
		return AckResult{}, err
	}
	if err := u.data.check(); err != nil {
		return AckResult{}, err
	}
	if fireAndForget {
		return AckResult{}, c.fireAndForget(ctx, u)
	}
	return c.request(ctx, u, ackID)
}

// checkName rejects names the service would refuse.
func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s name", ErrInvalidArgument, what)
	case len(name) > 1024:
		return fmt.Errorf("%w: %s name longer than 1024 bytes", ErrInvalidArgument, what)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %s name is not valid UTF-8", ErrInvalidArgument, what)
	}
	return nil
}

// encodeChecked encodes u and enforces the frame size limit.
func (c *Client) encodeChecked(u *upstream) ([]byte, error) {
	frame := u.encode(nil)
	if len(frame) > c.cfg.maxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(frame), c.cfg.maxMessageSize)
	}
	return frame, nil
}

// request sends u with an ack id and waits for its ack, resending per the message policy.
func (c *Client) request(ctx context.Context, u *upstream, ackID uint64) (AckResult, error) {
	id, ch, ok := c.acks.register(ackID)
	if !ok {
		return AckResult{}, fmt.Errorf("%w: ack id %d is in use by another request", ErrInvalidArgument, ackID)
	}
	defer c.acks.remove(id)
	u.ackID = id
	frame, err := c.encodeChecked(u)
	if err != nil {
		return AckResult{}, err
	}
	for n := 0; ; n++ {
		s, err := c.waitSession(ctx)
		if err != nil {
			return AckResult{AckID: id}, err
		}
		if n > 0 {
			c.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "webpubsub client: resending", slog.Uint64("ackId", id), slog.Int("retry", n))
		}
		res, err := c.attempt(ctx, s, frame, ch)
		res.AckID = id
		if err == nil {
			return res, nil
		}
		var ackErr *AckError
		switch {
		case errors.As(err, &ackErr) && !ackErr.retryable():
			return res, err
		case ctx.Err() != nil:
			return res, err
		}
		d, ok := c.cfg.message.next(n + 1)
		if !ok {
			return res, err
		}
		if ackErr != nil && !sleep(ctx, d) {
			return res, ctx.Err()
		}
		// After a drop, waitSession waits for the recovered or new connection.
	}
}

// attempt writes frame on s and waits for its ack, the end of s, or ctx.
func (c *Client) attempt(ctx context.Context, s *session, frame []byte, ch <-chan ackResult) (AckResult, error) {
	res := AckResult{}
	if err := s.write(frame); err != nil {
		select {
		case <-s.done:
		case <-ctx.Done():
			return res, ctx.Err()
		}
		return res, fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	select {
	case r := <-ch:
		return r.outcome()
	case <-s.done:
		// The ack may have been read just before the end.
		select {
		case r := <-ch:
			return r.outcome()
		default:
		}
		return res, fmt.Errorf("%w: %w", ErrConnectionLost, s.err)
	case <-ctx.Done():
		return res, ctx.Err()
	}
}

// fireAndForget writes u without an ack id, retrying the write per the message policy.
func (c *Client) fireAndForget(ctx context.Context, u *upstream) error {
	frame, err := c.encodeChecked(u)
	if err != nil {
		return err
	}
	for n := 0; ; n++ {
		s, err := c.waitSession(ctx)
		if err != nil {
			return err
		}
		err = s.write(frame)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, ok := c.cfg.message.next(n + 1); !ok {
			return fmt.Errorf("%w: %w", ErrConnectionLost, err)
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitSession returns the usable session, waiting while the client (re)connects.
func (c *Client) waitSession(ctx context.Context) (*session, error) {
	waited := false
	for {
		c.mu.Lock()
		s, ch, running := c.sess, c.sessCh, c.run != nil
		c.mu.Unlock()
		if !running {
			if waited {
				return nil, ErrStopped
			}
			return nil, ErrNotStarted
		}
		if s != nil {
			select {
			case <-s.done: // ended; the supervisor has not cleared it yet
			default:
				return s, nil
			}
		}
		waited = true
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
