package service

import (
	"encoding/json"
	"fmt"
)

// Content types of message payloads, as the service expects them.
const (
	ContentTypeText   = "text/plain"
	ContentTypeJSON   = "application/json"
	ContentTypeBinary = "application/octet-stream"
)

// Message is a payload for the send operations: build it with [Text], [JSON] or [Binary].
// The zero Message is an empty text message.
type Message struct {
	contentType string
	data        []byte
	err         error
}

// Text returns a text/plain message. Plain WebSocket clients get a text frame;
// PubSub-subprotocol clients get dataType "text".
func Text(s string) Message { return Message{contentType: ContentTypeText, data: []byte(s)} }

// JSON returns an application/json message holding v encoded with encoding/json (a
// json.RawMessage is sent as is, after validation). PubSub-subprotocol clients get
// dataType "json". An encoding error is returned by the send operation.
func JSON(v any) Message {
	b, err := json.Marshal(v)
	if err != nil {
		return Message{contentType: ContentTypeJSON, err: fmt.Errorf("%w: JSON message: %v", ErrInvalidArgument, err)}
	}
	return Message{contentType: ContentTypeJSON, data: b}
}

// Binary returns an application/octet-stream message. Plain WebSocket clients get a binary
// frame; PubSub-subprotocol clients get dataType "binary" (base64). The slice is not copied:
// do not modify it until the send returns.
func Binary(b []byte) Message { return Message{contentType: ContentTypeBinary, data: b} }

// ContentType returns the message's content type.
func (m Message) ContentType() string {
	if m.contentType == "" {
		return ContentTypeText
	}
	return m.contentType
}

// Bytes returns the payload.
func (m Message) Bytes() []byte { return m.data }

func (m Message) body() (*body, error) {
	if m.err != nil {
		return nil, m.err
	}
	return &body{contentType: m.ContentType(), data: m.data}, nil
}
