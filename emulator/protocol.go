package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// Data types of the JSON subprotocols.
const (
	dataJSON   = "json"
	dataText   = "text"
	dataBinary = "binary"
)

// Origins of a message frame ("from").
const (
	fromServer = "server"
	fromGroup  = "group"
)

// Ack error names (client-protocol.md §3.3). BadRequest and NotFound are the emulator's names
// for a malformed request and for an event no event handler wants.
const (
	ackForbidden     = "Forbidden"
	ackInternalError = "InternalServerError"
	ackDuplicate     = "Duplicate"
	ackBadRequest    = "BadRequest"
	ackNotFound      = "NotFound"
)

// Request types of the JSON subprotocols.
const (
	reqJoinGroup   = "joinGroup"
	reqLeaveGroup  = "leaveGroup"
	reqSendToGroup = "sendToGroup"
	reqEvent       = "event"
	reqSequenceAck = "sequenceAck"
	reqPing        = "ping"
)

// delivery is one message encoded once for every kind of receiver.
type delivery struct {
	plain frame  // for plain WebSocket clients
	json  []byte // open JSON message object for PubSub clients (no sequenceId, no '}')
}

// newDelivery encodes m as sent from "server" or "group" (with group and the publishing
// user id, if any).
func newDelivery(from, group, fromUserID string, m outMessage) *delivery {
	d := &delivery{}
	dataType := m.dataType
	if dataType == dataJSON && !json.Valid(m.data) {
		dataType = dataText
	}
	switch dataType {
	case dataBinary:
		d.plain = frame{typ: websocket.MessageBinary, body: m.data}
	default:
		d.plain = frame{typ: websocket.MessageText, body: m.data}
	}
	b := make([]byte, 0, len(m.data)+96+len(group))
	b = append(b, `{"type":"message","from":"`...)
	b = append(b, from...)
	b = append(b, '"')
	if from == fromGroup {
		b = append(b, `,"group":`...)
		b = appendJSONString(b, group)
		if fromUserID != "" {
			b = append(b, `,"fromUserId":`...)
			b = appendJSONString(b, fromUserID)
		}
	}
	b = append(b, `,"dataType":"`...)
	switch dataType {
	case dataBinary:
		b = append(b, `binary","data":"`...)
		b = base64.StdEncoding.AppendEncode(b, m.data)
		b = append(b, '"')
	case dataJSON:
		b = append(b, `json","data":`...)
		b = append(b, bytes.TrimSpace(m.data)...)
	default:
		b = append(b, `text","data":`...)
		b = appendJSONString(b, string(m.data))
	}
	d.json = b
	return d
}

// appendJSONString appends s as a JSON string exactly as json.Marshal writes it (invalid
// UTF-8 becomes U+FFFD; <, > and & are escaped). Strings of printable ASCII needing no
// escape are appended directly.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // marshalling a string cannot fail
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// ackFrame encodes an ack; errName "" means success.
func ackFrame(id uint64, errName, message string) frame {
	b := make([]byte, 0, 64+len(message))
	b = append(b, `{"type":"ack","ackId":`...)
	b = strconv.AppendUint(b, id, 10)
	if errName == "" {
		b = append(b, `,"success":true}`...)
	} else {
		b = append(b, `,"success":false,"error":{"name":`...)
		b = appendJSONString(b, errName)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, message)
		b = append(b, "}}"...)
	}
	return frame{typ: websocket.MessageText, body: b}
}

// systemConnected encodes the connected system message; token is "" for non-reliable
// protocols and userID "" for anonymous connections.
func systemConnected(connID, userID, token string) []byte {
	b := []byte(`{"type":"system","event":"connected","connectionId":`)
	b = appendJSONString(b, connID)
	if userID != "" {
		b = append(b, `,"userId":`...)
		b = appendJSONString(b, userID)
	}
	if token != "" {
		b = append(b, `,"reconnectionToken":`...)
		b = appendJSONString(b, token)
	}
	return append(b, '}')
}

// systemDisconnected encodes the disconnected system message.
func systemDisconnected(reason string) []byte {
	b := []byte(`{"type":"system","event":"disconnected","message":`)
	b = appendJSONString(b, reason)
	return append(b, '}')
}

var pongFrame = frame{typ: websocket.MessageText, body: []byte(`{"type":"pong"}`)}

// request is one decoded client request of a JSON subprotocol.
type request struct {
	typ       string
	group     string
	event     string
	ackID     uint64
	hasAck    bool
	noEcho    bool
	seq       uint64
	payload   outMessage
	malformed error // a well-formed frame whose fields are invalid: answered with BadRequest
}

// Errors of decodeRequest for frames that are not requests at all; the connection is closed
// with 1008.
var (
	errNotJSONObject = errors.New("webpubsub: frame is not a JSON object")
	errNoType        = errors.New("webpubsub: frame has no type")
)

// flexUint is a uint64 that also accepts a quoted decimal ("42"), as one Doc sample writes the
// sequenceId.
type flexUint struct {
	v   uint64
	set bool
}

func (f *flexUint) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an unsigned integer: %s", b)
	}
	f.v, f.set = v, true
	return nil
}

type wireRequest struct {
	Type     *string         `json:"type"`
	Group    *string         `json:"group"`
	Event    *string         `json:"event"`
	AckID    json.RawMessage `json:"ackId"`
	NoEcho   json.RawMessage `json:"noEcho"`
	DataType *string         `json:"dataType"`
	Data     json.RawMessage `json:"data"`
	Seq      json.RawMessage `json:"sequenceId"`
}

// decodeRequest decodes one text frame of a JSON subprotocol. Frames that are not a JSON
// object with a string type return an error; requests with invalid fields come back with
// request.malformed set (and the ack id, when it was readable).
func decodeRequest(b []byte) (request, error) {
	var w wireRequest
	if !fastDecode(b, &w) {
		w = wireRequest{}
		if err := json.Unmarshal(b, &w); err != nil {
			return request{}, fmt.Errorf("%w: %v", errNotJSONObject, err)
		}
	}
	if w.Type == nil || *w.Type == "" {
		return request{}, errNoType
	}
	r := request{typ: *w.Type}
	bad := func(format string, args ...any) (request, error) {
		r.malformed = fmt.Errorf(format, args...)
		return r, nil
	}
	if len(w.AckID) > 0 && string(w.AckID) != "null" {
		var id flexUint
		if err := id.UnmarshalJSON(w.AckID); err != nil || bytes.HasPrefix(bytes.TrimSpace(w.AckID), []byte(`"`)) {
			return bad("ackId must be an unsigned integer")
		}
		r.ackID, r.hasAck = id.v, true
	}
	switch r.typ {
	case reqJoinGroup, reqLeaveGroup, reqSendToGroup:
		if w.Group == nil {
			return bad("group is required")
		}
		r.group = *w.Group
		if err := checkGroupName(r.group); err != nil {
			return bad("%v", err)
		}
	case reqEvent:
		if w.Event == nil || *w.Event == "" {
			return bad("event is required")
		}
		r.event = *w.Event
		if strings.ContainsAny(r.event, "/\\") || !utf8.ValidString(r.event) {
			return bad("event name %q is not allowed", r.event)
		}
	case reqSequenceAck:
		var s flexUint
		if err := s.UnmarshalJSON(w.Seq); err != nil || !s.set {
			return bad("sequenceId must be an unsigned integer")
		}
		r.seq = s.v
		return r, nil
	default:
		return r, nil
	}
	if r.typ == reqSendToGroup || r.typ == reqEvent {
		if len(w.NoEcho) > 0 && string(w.NoEcho) != "null" {
			switch string(w.NoEcho) {
			case "true":
				r.noEcho = true
			case "false":
			default:
				return bad("noEcho must be a boolean")
			}
		}
		dt := dataJSON
		if w.DataType != nil {
			dt = *w.DataType
		}
		p, err := decodePayload(dt, w.Data)
		if err != nil {
			return bad("%v", err)
		}
		r.payload = p
	}
	return r, nil
}

// decodePayload converts the data of a request to the bytes and data type it stands for.
func decodePayload(dataType string, data json.RawMessage) (outMessage, error) {
	switch dataType {
	case dataJSON:
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		return outMessage{data: bytes.Clone(data), dataType: dataJSON}, nil
	case dataText:
		s, err := jsonString(data)
		if err != nil {
			return outMessage{}, errors.New("data must be a string for dataType text")
		}
		return outMessage{data: s, dataType: dataText}, nil
	case dataBinary:
		s, err := jsonString(data)
		if err != nil {
			return outMessage{}, errors.New("data must be a base64 string for dataType binary")
		}
		raw, err := base64.StdEncoding.AppendDecode(nil, s)
		if err != nil {
			raw, err = base64.RawStdEncoding.AppendDecode(nil, s)
		}
		if err != nil {
			return outMessage{}, errors.New("data is not valid base64")
		}
		return outMessage{data: raw, dataType: dataBinary}, nil
	case "protobuf":
		return outMessage{}, errors.New("dataType protobuf is not supported on JSON subprotocols")
	default:
		return outMessage{}, fmt.Errorf("unknown dataType %q", dataType)
	}
}

// jsonString decodes raw JSON data as json.Unmarshal into a string would (null gives an
// empty string), returning a new slice. Strings without escapes, control characters or
// non-ASCII bytes are copied directly; everything else goes through encoding/json.
func jsonString(data json.RawMessage) ([]byte, error) {
	if n := len(data); n >= 2 && data[0] == '"' && data[n-1] == '"' {
		inner := data[1 : n-1]
		plain := true
		for _, c := range inner {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				plain = false
				break
			}
		}
		if plain {
			return bytes.Clone(inner), nil
		}
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}
