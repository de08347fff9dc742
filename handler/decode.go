package handler

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
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

// ceAttributes are the canonical header names of the attributes the hub reads, for one
// CloudEvents spec version, taken from the cloudevents SDK's spec tables.
type ceAttributes struct {
	version               spec.Version
	typ, id, source, time string
}

// ceVersions is the SDK's table of spec versions with the binary-mode "ce-" prefix, and
// ceHeaderNames its attribute header names per version; both are built once, so reading
// an event's attributes costs a few map lookups and no allocation.
var (
	ceVersions    = spec.WithPrefix("ce-")
	ceHeaderNames = func() []ceAttributes {
		var out []ceAttributes
		for _, v := range ceVersions.Versions() {
			name := func(k spec.Kind) string {
				return http.CanonicalHeaderKey(v.AttributeFromKind(k).PrefixedName())
			}
			out = append(out, ceAttributes{v, name(spec.Type), name(spec.ID), name(spec.Source), name(spec.Time)})
		}
		return out
	}()
	hdrSpecVersion = http.CanonicalHeaderKey(ceVersions.PrefixedSpecVersionName())
	// ceLatest is the entry of the newest spec version (1.0, the one the service sends),
	// matched by a string compare before the SDK's lookup.
	ceLatest = &ceHeaderNames[len(ceHeaderNames)-1]
)

func init() {
	for i := range ceHeaderNames {
		if ceHeaderNames[i].version.String() > ceLatest.version.String() {
			ceLatest = &ceHeaderNames[i]
		}
	}
}

// binaryAttributes returns the attribute header names for a binary-mode CloudEvent, or
// ErrNotCloudEvent for a structured-mode or batch request (the cloudevents format
// registry knows the media type) or an unknown or missing ce-specversion.
func binaryAttributes(hd http.Header, ct string) (*ceAttributes, error) {
	if len(ct) >= len("application/cloudevents") &&
		strings.EqualFold(ct[:len("application/cloudevents")], "application/cloudevents") && format.Lookup(ct) != nil {
		return nil, fmt.Errorf("%w: structured content mode (%s)", ErrNotCloudEvent, ct)
	}
	sv := header(hd, hdrSpecVersion)
	if sv == ceLatest.version.String() {
		return ceLatest, nil
	}
	if v := ceVersions.Version(sv); v != nil {
		for i := range ceHeaderNames {
			if ceHeaderNames[i].version == v {
				return &ceHeaderNames[i], nil
			}
		}
	}
	if sv == "" {
		return nil, fmt.Errorf("%w: no ce-specversion", ErrNotCloudEvent)
	}
	return nil, fmt.Errorf("%w: unsupported ce-specversion %q", ErrNotCloudEvent, sv)
}

// kindOf classifies a ce-type; name is the event name implied by system types.
func kindOf(t string) (kind eventKind, name string) {
	switch {
	case len(t) > len(wire.TypeUserPrefix) && (t[:len(wire.TypeUserPrefix)] == wire.TypeUserPrefix ||
		strings.EqualFold(t[:len(wire.TypeUserPrefix)], wire.TypeUserPrefix)):
		return kindUser, "" // the commonest, first
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
	}
	return 0, ""
}

// decodeContext reads the binary-mode CloudEvents attributes and the Web PubSub
// extensions from the headers into a freshly allocated event of the right type; it does
// not touch the body. sig and conn are ce-signature and ce-connectionId, already read by
// the signature check.
func (h *Hub) decodeContext(r *http.Request, sig, conn string) (eventContext, error) {
	var ec eventContext
	hd := r.Header
	ct := header(hd, hdrContentType)
	ce, err := binaryAttributes(hd, ct)
	if err != nil {
		return ec, err
	}
	t := header(hd, ce.typ)
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
		ec.user.ContentType = ct
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
	c.State.hub = h
	c.Header = hd
	c.Type = EventType(t)
	c.ID = header(hd, ce.id)
	c.Source = header(hd, ce.source)
	if ts := header(hd, ce.time); ts != "" {
		if tm, err := types.ParseTime(ts); err == nil {
			c.Time = tm
		}
	}
	c.Hub = header(hd, hdrHub)
	c.ConnectionID = conn
	c.EventName = header(hd, hdrEventName)
	if name != "" {
		c.EventName = name
	} else if c.EventName == "" {
		c.EventName = t[len(wire.TypeUserPrefix):]
	}
	c.UserID = header(hd, hdrUserID)
	c.Subprotocol = header(hd, hdrSubprotocol)
	c.Origin = header(hd, hdrOrigin)
	c.Signature = sig
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
	if containsFold(c.Subprotocol, wire.SubprotocolMQTT) {
		if pc := header(hd, hdrPhysicalConn); pc != "" {
			c.ClientProtocol = ClientProtocolMQTT
			c.MQTT = &MQTTContext{PhysicalConnectionID: pc, SessionID: header(hd, hdrSessionID)}
		}
	}
	// Set in place: the event is fresh (zero State), and a State value is not small.
	c.State.raw = header(hd, hdrState)
	return ec, nil
}

func containsFold(s, sub string) bool {
	return len(s) >= len(sub) && strings.Contains(strings.ToLower(s), sub)
}
