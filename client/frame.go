package client

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Frame types of the JSON subprotocols.
const (
	frameJoinGroup   = "joinGroup"
	frameLeaveGroup  = "leaveGroup"
	frameSendToGroup = "sendToGroup"
	frameEvent       = "event"
	frameSequenceAck = "sequenceAck"
	framePing        = "ping"

	frameAck     = "ack"
	frameMessage = "message"
	frameSystem  = "system"
	framePong    = "pong"

	systemConnected    = "connected"
	systemDisconnected = "disconnected"

	fromGroup  = "group"
	fromServer = "server"
)

// upstream is one request the client sends.
type upstream struct {
	typ        string
	group      string // joinGroup, leaveGroup, sendToGroup
	event      string // event
	ackID      uint64 // 0: no ackId (fire and forget)
	noEcho     bool
	data       *Message // sendToGroup, event
	sequenceID uint64   // sequenceAck
}

// encode appends the JSON text of u to b. Names must be valid UTF-8 and data must pass
// Message.check; encode does not validate.
func (u *upstream) encode(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, u.typ)
	switch u.typ {
	case frameSequenceAck:
		b = append(b, `,"sequenceId":`...)
		b = strconv.AppendUint(b, u.sequenceID, 10)
		return append(b, '}')
	case framePing:
		return append(b, '}')
	case frameEvent:
		b = append(b, `,"event":`...)
		b = appendString(b, u.event)
	default:
		b = append(b, `,"group":`...)
		b = appendString(b, u.group)
	}
	if u.ackID != 0 {
		b = append(b, `,"ackId":`...)
		b = strconv.AppendUint(b, u.ackID, 10)
	}
	if u.noEcho {
		b = append(b, `,"noEcho":true`...)
	}
	if u.data != nil {
		m := u.data
		b = append(b, `,"dataType":`...)
		b = appendString(b, string(m.DataType()))
		b = append(b, `,"data":`...)
		switch m.DataType() {
		case DataTypeText:
			b = appendString(b, m.text)
		case DataTypeJSON:
			b = append(b, m.bytes...)
		default:
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, m.bytes)
			b = append(b, '"')
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// downstream is one message the service sends, as decoded from JSON.
type downstream struct {
	Type string `json:"type"`

	// ack
	AckID   uint64     `json:"ackId"`
	Success bool       `json:"success"`
	Error   *ackDetail `json:"error"`

	// message
	From       string          `json:"from"`
	Group      string          `json:"group"`
	FromUserID string          `json:"fromUserId"`
	DataType   DataType        `json:"dataType"`
	Data       json.RawMessage `json:"data"`
	SequenceID uint64          `json:"sequenceId"`

	// system
	Event             string `json:"event"`
	ConnectionID      string `json:"connectionId"`
	UserID            string `json:"userId"`
	ReconnectionToken string `json:"reconnectionToken"`
	Message           string `json:"message"`
}

type ackDetail struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// Errors of decodeDownstream. They never reach the user: the client logs and skips such frames.
var (
	errFrameNotObject = errors.New("webpubsub: frame is not a JSON object with a type")
	errFrameData      = errors.New("webpubsub: message data does not match its dataType")
)

// decodeDownstream decodes one text frame from the service. A frame of an unknown type decodes
// without error (the caller ignores it); a malformed one returns an error.
func decodeDownstream(p []byte) (*downstream, error) {
	if d, ok := fastDecode(p); ok && d.Type != "" {
		return d, nil
	}
	var d downstream
	if err := json.Unmarshal(p, &d); err != nil {
		return nil, fmt.Errorf("%w: %w", errFrameNotObject, err)
	}
	if d.Type == "" {
		return nil, errFrameNotObject
	}
	return &d, nil
}

// payload decodes the data of a message frame according to its dataType. A missing dataType
// means json (the protocol's default).
func (d *downstream) payload() (Message, error) {
	switch d.DataType {
	case DataTypeText:
		if s, ok := plainString(d.Data); ok {
			return Text(s), nil
		}
		var s string
		if err := json.Unmarshal(d.Data, &s); err != nil {
			return Message{}, fmt.Errorf("%w: text: %w", errFrameData, err)
		}
		return Text(s), nil
	case DataTypeJSON, "":
		if len(d.Data) == 0 {
			return Message{}, fmt.Errorf("%w: json: no data", errFrameData)
		}
		return Message{typ: DataTypeJSON, bytes: d.Data}, nil
	case DataTypeBinary, DataTypeProtobuf:
		s, ok := plainString(d.Data)
		if !ok {
			if err := json.Unmarshal(d.Data, &s); err != nil {
				return Message{}, fmt.Errorf("%w: %s: %w", errFrameData, d.DataType, err)
			}
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Message{}, fmt.Errorf("%w: %s: %w", errFrameData, d.DataType, err)
		}
		return Message{typ: d.DataType, bytes: b}, nil
	default:
		return Message{}, fmt.Errorf("%w: unknown dataType %q", errFrameData, d.DataType)
	}
}

// plainString returns the value of a JSON string literal without escapes, control characters
// or invalid UTF-8; anything else is left to encoding/json.
func plainString(p []byte) (string, bool) {
	if len(p) < 2 || p[0] != '"' || p[len(p)-1] != '"' {
		return "", false
	}
	v := p[1 : len(p)-1]
	for _, c := range v {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(v) {
		return "", false
	}
	return string(v), true
}
