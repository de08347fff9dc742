package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
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

// readBody reads the body with the hub's limit: 413 via *http.MaxBytesError.
func (h *Hub) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > h.maxBody {
		return nil, &http.MaxBytesError{Limit: h.maxBody}
	}
	if r.ContentLength >= 0 {
		// net/http stops the body at Content-Length, so the exact buffer is the limit.
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, fmt.Errorf("%w: reading body: %w", ErrInvalidBody, err)
		}
		return buf, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reading body: %w", ErrInvalidBody, err)
	}
	return b, nil
}

// connectBody is the wire shape of a connect request body.
type connectBody struct {
	Claims             map[string][]string    `json:"claims"`
	Query              map[string][]string    `json:"query"`
	Headers            map[string][]string    `json:"headers"`
	Subprotocols       []string               `json:"subprotocols"`
	ClientCertificates []ClientCertificate    `json:"clientCertificates"`
	MQTT               *MQTTConnectProperties `json:"mqtt"`
}

func (h *Hub) decodeConnect(w http.ResponseWriter, r *http.Request, req *ConnectRequest) error {
	b, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	var body connectBody
	if len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			return fmt.Errorf("%w: connect: %w", ErrInvalidBody, err)
		}
	}
	req.Claims = body.Claims
	req.Query = body.Query
	if body.Headers != nil {
		req.Headers = make(http.Header, len(body.Headers))
		for k, v := range body.Headers {
			ck := http.CanonicalHeaderKey(k)
			req.Headers[ck] = append(req.Headers[ck], v...)
		}
	}
	req.Subprotocols = body.Subprotocols
	req.ClientCertificates = body.ClientCertificates
	req.MQTTConnect = body.MQTT
	if body.MQTT != nil && req.ClientProtocol != ClientProtocolMQTT {
		// An MQTT connect body without the MQTT headers: still an MQTT client.
		req.ClientProtocol = ClientProtocolMQTT
		if req.MQTT == nil {
			req.MQTT = &MQTTContext{PhysicalConnectionID: header(r.Header, hdrPhysicalConn)}
		}
	}
	return nil
}

// dataTypeOf maps a Content-Type to a data type; ok is false for unsupported types.
func dataTypeOf(contentType string) (DataType, bool) {
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, wire.ContentTypeText):
		return DataTypeText, true
	case strings.EqualFold(mt, wire.ContentTypeJSON):
		return DataTypeJSON, true
	case strings.EqualFold(mt, wire.ContentTypeBinary):
		return DataTypeBinary, true
	}
	return "", false
}

func (h *Hub) decodeUser(w http.ResponseWriter, r *http.Request, ev *UserEvent) error {
	ev.ContentType = header(r.Header, hdrContentType)
	dt, ok := dataTypeOf(ev.ContentType)
	if !ok {
		if ev.ClientProtocol != ClientProtocolMQTT {
			return fmt.Errorf("%w: %q (want text/plain, application/json or application/octet-stream)", ErrUnsupportedContentType, ev.ContentType)
		}
		if ev.ContentType != "" {
			if _, _, err := mime.ParseMediaType(ev.ContentType); err != nil {
				return fmt.Errorf("%w: %q: %w", ErrUnsupportedContentType, ev.ContentType, err)
			}
		}
		dt = DataTypeBinary
	}
	ev.DataType = dt
	if ev.ClientProtocol == ClientProtocolMQTT {
		for k, vs := range r.Header {
			if len(k) > len(hdrMQTTPrefix) && strings.EqualFold(k[:len(hdrMQTTPrefix)], hdrMQTTPrefix) {
				name := strings.ToLower(k[len(hdrMQTTPrefix):])
				for _, v := range vs {
					ev.MQTTUserProperties = append(ev.MQTTUserProperties, MQTTUserProperty{Name: name, Value: v})
				}
			}
		}
	}
	b, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	ev.Data = b
	return nil
}

// disconnectedBody and groupBody are the wire shapes of notification bodies.
type disconnectedBody struct {
	Reason string                      `json:"reason"`
	MQTT   *MQTTDisconnectedProperties `json:"mqtt"`
}

type groupBody struct {
	Group string `json:"group"`
}

// decodeNotification decodes a notification and returns the call of its func (nil when
// none is registered; the body is then not read).
func (h *Hub) decodeNotification(w http.ResponseWriter, r *http.Request, ec *eventContext) (func(context.Context) error, error) {
	switch ec.kind {
	case kindConnected:
		if h.connected == nil {
			return nil, nil
		}
		ev := ec.connected
		return func(ctx context.Context) error { return h.connected(ctx, ev) }, nil
	case kindDisconnected:
		if h.disconnected == nil {
			return nil, nil
		}
		var body disconnectedBody
		if err := h.decodeJSONBody(w, r, &body); err != nil {
			return nil, err
		}
		ev := ec.disconnected
		ev.Reason, ev.MQTTDisconnect = body.Reason, body.MQTT
		return func(ctx context.Context) error { return h.disconnected(ctx, ev) }, nil
	case kindJoined, kindLeft:
		fn := h.joined
		if ec.kind == kindLeft {
			fn = h.left
		}
		if fn == nil {
			return nil, nil
		}
		var body groupBody
		if err := h.decodeJSONBody(w, r, &body); err != nil {
			return nil, err
		}
		ev := ec.group
		ev.Group = body.Group
		return func(ctx context.Context) error { return fn(ctx, ev) }, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, ec.c.Type)
}

func (h *Hub) decodeJSONBody(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidBody, err)
	}
	return nil
}
