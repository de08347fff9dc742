package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

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

// decodeUser reads the body of a user event; ev.ContentType was set by decodeContext.
func (h *Hub) decodeUser(w http.ResponseWriter, r *http.Request, ev *UserEvent) error {
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
