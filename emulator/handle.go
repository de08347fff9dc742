package emulator

import (
	"context"
	"encoding/json"
	"mime"
	"strings"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// readLoop reads ws until it fails and handles every message in order. Blocking upstream
// calls (user events) hold up the connection's following messages, which keeps them ordered.
func (c *conn) readLoop(ws *websocket.Conn) {
	for {
		typ, data, err := ws.Read(context.Background())
		if err != nil {
			// coder/websocket keeps the socket open after a read error (EOF, reset) until a
			// finalizer runs; close it now so file descriptors are not held.
			_ = ws.CloseNow()
			c.detach(ws, err)
			return
		}
		if c.pubsub() {
			c.handleRequest(typ, data)
		} else {
			c.handlePlain(typ, data)
		}
		c.mu.Lock()
		ended := c.ended
		c.mu.Unlock()
		if ended {
			// Keep reading until the close handshake completes; requests are ignored.
			for {
				if _, _, err := ws.Read(context.Background()); err != nil {
					_ = ws.CloseNow()
					c.detach(ws, err)
					return
				}
			}
		}
	}
}

// handlePlain handles a frame of a plain WebSocket client: a message event, or a publish to
// the group of webpubsub_mode=sendToGroup.
func (c *conn) handlePlain(typ websocket.MessageType, data []byte) {
	m := outMessage{data: data, dataType: dataText}
	ct := contentTypeText
	if typ == websocket.MessageBinary {
		m.dataType, ct = dataBinary, contentTypeBinary
	}
	if c.sendGroup != "" {
		if !c.perms.allowed(permSendToGroup, c.sendGroup) {
			c.h.e.log.Warn("plain client publish refused: no permission", "hub", c.h.name, "connectionId", c.id, "group", c.sendGroup)
			return
		}
		c.publish(c.sendGroup, m, false)
		return
	}
	reply, matched, err := c.userEvent(wire.EventMessage, ct, data)
	switch {
	case !matched:
		// The service drops a plain client whose message no event handler wants.
		c.end("", closeNormal)
	case err != nil:
		c.end("The upstream event handler failed: "+err.Error(), closeError)
	default:
		if d := replyDelivery(reply); d != nil {
			broadcast([]*conn{c}, d)
		}
	}
}

// handleRequest handles a frame of a JSON subprotocol client.
func (c *conn) handleRequest(typ websocket.MessageType, data []byte) {
	if typ != websocket.MessageText {
		c.end("Binary frames are not allowed on "+c.subprotocol+".", closePolicy)
		return
	}
	req, err := decodeRequest(data)
	if err != nil {
		c.h.e.log.Warn("invalid client frame", "hub", c.h.name, "connectionId", c.id, "error", err)
		c.end("Invalid message format: "+err.Error(), closePolicy)
		return
	}
	if req.hasAck {
		c.mu.Lock()
		fresh := c.acks.add(req.ackID)
		c.mu.Unlock()
		if !fresh {
			c.send(ackFrame(req.ackID, ackDuplicate, "Message with ackId "+uintString(req.ackID)+" has been processed."))
			return
		}
	}
	ack := func(errName, msg string) {
		if req.hasAck {
			c.send(ackFrame(req.ackID, errName, msg))
		}
	}
	if req.malformed != nil {
		c.h.e.log.Warn("invalid client request", "hub", c.h.name, "connectionId", c.id, "type", req.typ, "error", req.malformed)
		ack(ackBadRequest, req.malformed.Error())
		return
	}
	switch req.typ {
	case reqJoinGroup, reqLeaveGroup:
		if !c.perms.allowed(permJoinLeaveGroup, req.group) {
			ack(ackForbidden, "The client has no permission to join or leave group '"+req.group+"'.")
			return
		}
		h := c.h
		h.mu.Lock()
		var changed bool
		if req.typ == reqJoinGroup {
			changed = h.joinLocked(req.group, c)
		} else {
			changed = h.leaveLocked(req.group, c)
		}
		h.mu.Unlock()
		if changed {
			h.presence([]membership{{c, req.group, req.typ == reqJoinGroup}})
		}
		ack("", "")
	case reqSendToGroup:
		if !c.perms.allowed(permSendToGroup, req.group) {
			ack(ackForbidden, "The client has no permission to send message to group '"+req.group+"'.")
			return
		}
		c.publish(req.group, req.payload, req.noEcho)
		ack("", "")
	case reqEvent:
		ct := contentTypeJSON
		switch req.payload.dataType {
		case dataText:
			ct = contentTypeText
		case dataBinary:
			ct = contentTypeBinary
		}
		reply, matched, err := c.userEvent(req.event, ct, req.payload.data)
		switch {
		case !matched:
			ack(ackNotFound, "No event handler is configured for event '"+req.event+"'.")
		case err != nil:
			ack(ackInternalError, "The upstream event handler failed.")
			c.end("The upstream event handler failed: "+err.Error(), closeError)
		default:
			if d := replyDelivery(reply); d != nil {
				broadcast([]*conn{c}, d)
			}
			ack("", "")
		}
	case reqSequenceAck:
		if c.proto == protoReliable {
			c.sequenceAck(req.seq)
		}
	case reqPing:
		c.send(pongFrame)
	default:
		// Unknown request types (newer protocol features) are ignored, as forward-compatible
		// clients expect; a request carrying an ackId learns it was not understood.
		c.h.e.log.Debug("unsupported request type", "hub", c.h.name, "connectionId", c.id, "type", req.typ)
		ack(ackBadRequest, "Request type '"+req.typ+"' is not supported by the emulator.")
	}
}

// publish sends m from c to group; with noEcho c itself is skipped.
func (c *conn) publish(group string, m outMessage, noEcho bool) {
	h := c.h
	var excluded []string
	if noEcho {
		excluded = []string{c.id}
	}
	h.mu.RLock()
	rs := membersLocked(h.groups[group], excluded, nil)
	h.mu.RUnlock()
	broadcast(rs, newDelivery(fromGroup, group, c.userID, m))
}

// replyDelivery turns an upstream answer to a user event into the message for the sender;
// nil when the answer has no body.
func replyDelivery(reply *upstreamReply) *delivery {
	if reply == nil || len(reply.body) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(reply.contentType)
	m := outMessage{data: reply.body, dataType: dataBinary}
	switch {
	case mt == contentTypeJSON:
		m.dataType = dataJSON
	case strings.HasPrefix(mt, "text/"):
		m.dataType = dataText
	}
	return newDelivery(fromServer, "", "", m)
}

func uintString(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
