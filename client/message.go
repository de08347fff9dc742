package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// DataType is the dataType of a payload on the JSON subprotocols: how its data field is
// encoded on the wire.
type DataType string

// Data types of the JSON subprotocols.
const (
	// DataTypeText is a UTF-8 string, sent as a JSON string.
	DataTypeText DataType = "text"
	// DataTypeJSON is any JSON value, sent as is.
	DataTypeJSON DataType = "json"
	// DataTypeBinary is bytes, sent as a standard base64 string.
	DataTypeBinary DataType = "binary"
	// DataTypeProtobuf is the bytes of a protobuf Any, sent as base64. It is only received
	// (from protobuf publishers); the client never sends it.
	DataTypeProtobuf DataType = "protobuf"
)

// String returns the wire name of the data type.
func (d DataType) String() string { return string(d) }

// Message is a payload sent or received by the client: text, JSON or binary. Build one with
// [Text], [JSON], [RawJSON] or [Binary]; received messages carry one in their Data field. The
// zero Message is an empty text.
//
// A Message is an immutable value and safe to share between goroutines, as long as the caller
// does not modify the slice given to [Binary] or [RawJSON] (or returned by [Message.Bytes]).
type Message struct {
	typ   DataType
	text  string
	bytes []byte // binary, protobuf or encoded JSON
	err   error  // encoding error of value, reported when sent
}

// Text returns a text message.
func Text(s string) Message { return Message{typ: DataTypeText, text: s} }

// Binary returns a binary message holding b (not copied).
func Binary(b []byte) Message { return Message{typ: DataTypeBinary, bytes: b} }

// JSON returns a JSON message holding the encoding of v with encoding/json. An encoding error
// is returned by the operation that sends the message.
func JSON(v any) Message {
	b, err := json.Marshal(v)
	if err != nil {
		return Message{typ: DataTypeJSON, err: fmt.Errorf("webpubsub: encode JSON message: %w", err)}
	}
	return Message{typ: DataTypeJSON, bytes: b}
}

// RawJSON returns a JSON message holding the already encoded JSON value b (not copied). An
// invalid value is reported by the operation that sends the message.
func RawJSON(b []byte) Message {
	if !json.Valid(b) {
		return Message{typ: DataTypeJSON, err: errors.New("webpubsub: RawJSON: invalid JSON value")}
	}
	return Message{typ: DataTypeJSON, bytes: b}
}

// DataType returns how the message travels: [DataTypeText] (also for the zero Message),
// [DataTypeJSON], [DataTypeBinary] or [DataTypeProtobuf].
func (m Message) DataType() DataType {
	if m.typ == "" {
		return DataTypeText
	}
	return m.typ
}

// Text returns the text of a text message, the JSON text of a JSON message, and the bytes of a
// binary message as a string.
func (m Message) Text() string {
	if m.DataType() == DataTypeText {
		return m.text
	}
	return string(m.bytes)
}

// Bytes returns the bytes of a binary message, the JSON text of a JSON message and the UTF-8
// bytes of a text message. The caller must not modify the result.
func (m Message) Bytes() []byte {
	if m.DataType() == DataTypeText {
		return []byte(m.text)
	}
	return m.bytes
}

// Decode unmarshals a JSON message into v with encoding/json. For a text message it decodes the
// text as JSON (handy when a publisher sent JSON as text); binary messages give an error.
func (m Message) Decode(v any) error {
	switch m.DataType() {
	case DataTypeJSON:
		return json.Unmarshal(m.bytes, v)
	case DataTypeText:
		return json.Unmarshal([]byte(m.text), v)
	default:
		return fmt.Errorf("webpubsub: cannot decode a %s message as JSON", m.DataType())
	}
}

// String returns a short description for logs and tests: the data type and the text (binary
// data is shown as its length).
func (m Message) String() string {
	switch m.DataType() {
	case DataTypeBinary, DataTypeProtobuf:
		return fmt.Sprintf("%s(%d bytes)", m.DataType(), len(m.bytes))
	default:
		return fmt.Sprintf("%s(%s)", m.DataType(), m.Text())
	}
}

// check returns the error that prevents sending m, if any.
func (m Message) check() error {
	if m.err != nil {
		return m.err
	}
	switch m.DataType() {
	case DataTypeText:
		if !utf8.ValidString(m.text) {
			return errors.New("webpubsub: text message is not valid UTF-8")
		}
	case DataTypeJSON, DataTypeBinary:
	default:
		return fmt.Errorf("webpubsub: cannot send a %s message", m.DataType())
	}
	return nil
}
