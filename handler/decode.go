package handler

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

type eventKind int

const (
	kindConnect eventKind = iota + 1
	kindConnected
	kindDisconnected
	kindUser
	kindJoined
	kindLeft
)

// eventContext is the routing decision plus the one event struct allocated for it; c
// points into that struct.
type eventContext struct {
	kind         eventKind
	c            *ConnectionContext
	connect      *ConnectRequest
	user         *UserEvent
	connected    *ConnectedEvent
	disconnected *DisconnectedEvent
	group        *GroupEvent
}

// attr returns a CloudEvents attribute of m as a string ("" when absent).
func attr(m *cehttp.Message, k spec.Kind) string {
	_, v := m.GetAttribute(k)
	s, _ := v.(string)
	return s
}

// kindOf classifies a ce-type; name is the event name implied by system types.
func kindOf(t string) (kind eventKind, name string) {
	switch {
	case strings.EqualFold(t, wire.TypeConnect):
		return kindConnect, wire.EventConnect
	case strings.EqualFold(t, wire.TypeConnected):
		return kindConnected, wire.EventConnected
	case strings.EqualFold(t, wire.TypeDisconnected):
		return kindDisconnected, wire.EventDisconnected
	case strings.EqualFold(t, wire.TypeJoined):
		return kindJoined, wire.EventJoined
	case strings.EqualFold(t, wire.TypeLeft):
		return kindLeft, wire.EventLeft
	case len(t) > len(wire.TypeUserPrefix) && strings.EqualFold(t[:len(wire.TypeUserPrefix)], wire.TypeUserPrefix):
		return kindUser, ""
	}
	return 0, ""
}

// decodeContext reads the binary-mode CloudEvents attributes and the Web PubSub
// extensions from the headers into a freshly allocated event of the right type; it does
// not touch the body.
func (h *Hub) decodeContext(r *http.Request) (eventContext, error) {
	var ec eventContext
	m := cehttp.NewMessage(r.Header, nil)
	if m.ReadEncoding() != binding.EncodingBinary {
		return ec, ErrNotCloudEvent
	}
	hd := r.Header
	t := attr(m, spec.Type)
	if t == "" {
		return ec, fmt.Errorf("%w: %s", ErrMissingAttribute, wire.HeaderType)
	}
	kind, name := kindOf(t)
	switch kind {
	case kindConnect:
		ec.connect = new(ConnectRequest)
		ec.c = &ec.connect.ConnectionContext
	case kindUser:
		ec.user = new(UserEvent)
		ec.c = &ec.user.ConnectionContext
	case kindConnected:
		ec.connected = new(ConnectedEvent)
		ec.c = &ec.connected.ConnectionContext
	case kindDisconnected:
		ec.disconnected = new(DisconnectedEvent)
		ec.c = &ec.disconnected.ConnectionContext
	case kindJoined, kindLeft:
		ec.group = new(GroupEvent)
		ec.c = &ec.group.ConnectionContext
	default:
		return ec, fmt.Errorf("%w: %q", ErrUnknownEventType, t)
	}
	ec.kind = kind
	c := ec.c
	c.hub = h
	c.Header = hd
	c.Type = EventType(t)
	c.ID = attr(m, spec.ID)
	c.Source = attr(m, spec.Source)
	if ts := attr(m, spec.Time); ts != "" {
		if tm, err := types.ParseTime(ts); err == nil {
			c.Time = tm
		}
	}
	c.Hub = header(hd, hdrHub)
	c.ConnectionID = header(hd, hdrConnectionID)
	c.EventName = header(hd, hdrEventName)
	if name != "" {
		c.EventName = name
	} else if c.EventName == "" {
		c.EventName = t[len(wire.TypeUserPrefix):]
	}
	c.UserID = header(hd, hdrUserID)
	c.Subprotocol = header(hd, hdrSubprotocol)
	c.Origin = header(hd, hdrOrigin)
	c.Signature = header(hd, hdrSignature)
	c.ClientProtocol = ClientProtocolDefault
	switch {
	case c.Hub == "":
		return ec, fmt.Errorf("%w: %s", ErrMissingAttribute, wire.HeaderHub)
	case c.ConnectionID == "":
		return ec, fmt.Errorf("%w: %s", ErrMissingAttribute, wire.HeaderConnectionID)
	}
	if !strings.EqualFold(c.Hub, h.name) {
		return ec, fmt.Errorf("%w: ce-hub %q, this hub is %q", ErrHubMismatch, c.Hub, h.name)
	}
	if pc := header(hd, hdrPhysicalConn); pc != "" && containsFold(c.Subprotocol, wire.SubprotocolMQTT) {
		c.ClientProtocol = ClientProtocolMQTT
		c.MQTT = &MQTTContext{PhysicalConnectionID: pc, SessionID: header(hd, hdrSessionID)}
	}
	c.State = newState(header(hd, hdrState), h.stateFormat, h.maxState)
	return ec, nil
}

func containsFold(s, sub string) bool {
	return len(s) >= len(sub) && strings.Contains(strings.ToLower(s), sub)
}
