package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestUpstreamEncode(t *testing.T) {
	text, bin, js := Text("Hello \"you\"\n"), Binary([]byte{0, 1, 2, 250}), JSON(map[string]int{"a": 1})
	tests := []struct {
		name string
		in   upstream
		want string
	}{
		{"join", upstream{typ: frameJoinGroup, group: "group1", ackID: 1}, `{"type":"joinGroup","group":"group1","ackId":1}`},
		{"leave without ack", upstream{typ: frameLeaveGroup, group: "g"}, `{"type":"leaveGroup","group":"g"}`},
		{"send text no echo", upstream{typ: frameSendToGroup, group: "group1", ackID: 2, noEcho: true, data: &text},
			`{"type":"sendToGroup","group":"group1","ackId":2,"noEcho":true,"dataType":"text","data":"Hello \"you\"\n"}`},
		{"send binary", upstream{typ: frameSendToGroup, group: "g", data: &bin}, `{"type":"sendToGroup","group":"g","dataType":"binary","data":"AAEC+g=="}`},
		{"event json", upstream{typ: frameEvent, event: "processOrder", ackID: 3, data: &js},
			`{"type":"event","event":"processOrder","ackId":3,"dataType":"json","data":{"a":1}}`},
		{"sequence ack", upstream{typ: frameSequenceAck, sequenceID: 18446744073709551615}, `{"type":"sequenceAck","sequenceId":18446744073709551615}`},
		{"ping", upstream{typ: framePing}, `{"type":"ping"}`},
		{"escaped group", upstream{typ: frameJoinGroup, group: "a\\b\x01\t\u2028é"}, `{"type":"joinGroup","group":"a\\b\u0001\t` + "\u2028é" + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.in.encode(nil))
			if got != tt.want {
				t.Errorf("encode = %s, want %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("encode = %s, not valid JSON", got)
			}
		})
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "\xff\xfeinvalid", "日本語", "<&>"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("appendString(%q) decodes to %q, want %q", s, back, wantBack)
		}
	}
}

func TestDecodeDownstream(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantErr  error
		wantType string
		wantData Message
		dataErr  error
	}{
		{name: "ack ok", in: `{"type":"ack","ackId":1,"success":true}`, wantType: frameAck},
		{name: "ack error", in: `{"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"no"}}`, wantType: frameAck},
		{name: "group json", in: `{"type":"message","from":"group","group":"group1","fromUserId":"user1","dataType":"json","data":{"hello":"world"},"sequenceId":7}`,
			wantType: frameMessage, wantData: RawJSON([]byte(`{"hello":"world"}`))},
		{name: "server text", in: `{"type":"message","from":"server","dataType":"text","data":"Hello World","sequenceId":8}`, wantType: frameMessage, wantData: Text("Hello World")},
		{name: "binary", in: `{"type":"message","from":"server","dataType":"binary","data":"AAEC+g=="}`, wantType: frameMessage, wantData: Binary([]byte{0, 1, 2, 250})},
		{name: "json string value", in: `{"type":"message","from":"server","dataType":"json","data":"x"}`, wantType: frameMessage, wantData: RawJSON([]byte(`"x"`))},
		{name: "missing dataType means json", in: `{"type":"message","from":"server","data":[1]}`, wantType: frameMessage, wantData: RawJSON([]byte(`[1]`))},
		{name: "text not a string", in: `{"type":"message","from":"server","dataType":"text","data":1}`, wantType: frameMessage, dataErr: errFrameData},
		{name: "bad base64", in: `{"type":"message","from":"server","dataType":"binary","data":"%%"}`, wantType: frameMessage, dataErr: errFrameData},
		{name: "unknown dataType", in: `{"type":"message","from":"server","dataType":"xml","data":"<a/>"}`, wantType: frameMessage, dataErr: errFrameData},
		{name: "connected", in: `{"type":"system","event":"connected","connectionId":"c1","userId":null,"reconnectionToken":"tok"}`, wantType: frameSystem},
		{name: "unknown type", in: `{"type":"groupStateUpdate","group":"g"}`, wantType: "groupStateUpdate"},
		{name: "not json", in: `hello`, wantErr: errFrameNotObject},
		{name: "array", in: `[1]`, wantErr: errFrameNotObject},
		{name: "no type", in: `{"ackId":1}`, wantErr: errFrameNotObject},
		{name: "negative ack id", in: `{"type":"ack","ackId":-1}`, wantErr: errFrameNotObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodeDownstream([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("decodeDownstream(%s) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if d.Type != tt.wantType {
				t.Errorf("Type = %q, want %q", d.Type, tt.wantType)
			}
			if d.Type != frameMessage {
				return
			}
			m, err := d.payload()
			if !errors.Is(err, tt.dataErr) {
				t.Fatalf("payload() error = %v, want %v", err, tt.dataErr)
			}
			if err == nil && (m.DataType() != tt.wantData.DataType() || !bytes.Equal(m.Bytes(), tt.wantData.Bytes())) {
				t.Errorf("payload() = %v, want %v", m, tt.wantData)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	d, err := decodeDownstream([]byte(`{"type":"system","event":"connected","connectionId":"c1","userId":"u1","reconnectionToken":"tok"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Event != systemConnected || d.ConnectionID != "c1" || d.UserID != "u1" || d.ReconnectionToken != "tok" {
		t.Errorf("decoded %+v", d)
	}
	d, err = decodeDownstream([]byte(`{"type":"ack","ackId":18446744073709551615,"success":false,"error":{"name":"Forbidden","message":"m"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.AckID != 18446744073709551615 || d.Success || d.Error.Name != "Forbidden" || d.Error.Message != "m" {
		t.Errorf("decoded %+v", d)
	}
}

// FuzzDecodeDownstream checks that no frame panics the decoder and that every decoded message
// payload survives a round trip through the upstream encoder.
func FuzzDecodeDownstream(f *testing.F) {
	for _, s := range []string{
		`{"type":"ack","ackId":1,"success":true}`,
		`{"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"x"}}`,
		`{"type":"message","from":"group","group":"g","fromUserId":"u","dataType":"json","data":{"a":[1,2]},"sequenceId":7}`,
		`{"type":"message","from":"server","dataType":"text","data":"Hello \u2028 \ud83d\ude00","sequenceId":8}`,
		`{"type":"message","from":"server","dataType":"binary","data":"AAEC+g=="}`,
		`{"type":"message","from":"server","dataType":"protobuf","data":""}`,
		`{"type":"system","event":"connected","connectionId":"c","userId":null,"reconnectionToken":"t"}`,
		`{"type":"system","event":"disconnected","message":"bye"}`,
		`{"type":"pong"}`, `{}`, `null`, `[`, `{"type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		d, err := decodeDownstream(p)
		if err != nil {
			return
		}
		if d.Type == "" {
			t.Fatalf("decoded a frame without type: %s", p)
		}
		m, err := d.payload()
		if err != nil || m.check() != nil {
			return
		}
		frame := (&upstream{typ: frameSendToGroup, group: d.Group, data: &m}).encode(nil)
		if !json.Valid(frame) {
			t.Fatalf("encode(%v) = %s, not valid JSON", m, frame)
		}
		back, err := decodeDownstream(frame)
		if err != nil {
			t.Fatalf("decode(encode(%v)) error %v", m, err)
		}
		m2, err := back.payload()
		if err != nil {
			t.Fatalf("payload(encode(%v)) error %v", m, err)
		}
		if m2.DataType() != m.DataType() {
			t.Fatalf("round trip data type %s, want %s", m2.DataType(), m.DataType())
		}
		if m.DataType() == DataTypeJSON {
			var a, b any
			if json.Unmarshal(m.Bytes(), &a) != nil || json.Unmarshal(m2.Bytes(), &b) != nil {
				t.Fatalf("round trip JSON %s → %s", m.Bytes(), m2.Bytes())
			}
			return
		}
		if !bytes.Equal(m2.Bytes(), m.Bytes()) {
			t.Fatalf("round trip %v → %v", m, m2)
		}
	})
}

// FuzzUpstreamEncode checks that any names and payloads encode to valid JSON that decodes
// back to the same values.
func FuzzUpstreamEncode(f *testing.F) {
	f.Add("group1", "text", []byte("hello"), uint64(1), true)
	f.Add("a\"b\\c\x00", "binary", []byte{0, 255}, uint64(0), false)
	f.Add("\xff", "json", []byte(`{"a":1}`), uint64(1<<63), false)
	f.Fuzz(func(t *testing.T, group, kind string, payload []byte, ackID uint64, noEcho bool) {
		var m Message
		switch kind {
		case "binary":
			m = Binary(payload)
		case "json":
			m = RawJSON(payload)
		default:
			m = Text(string(payload))
		}
		if m.check() != nil {
			return
		}
		frame := (&upstream{typ: frameSendToGroup, group: group, ackID: ackID, noEcho: noEcho, data: &m}).encode(nil)
		var got struct {
			Type     string          `json:"type"`
			Group    string          `json:"group"`
			AckID    uint64          `json:"ackId"`
			NoEcho   bool            `json:"noEcho"`
			DataType DataType        `json:"dataType"`
			Data     json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(frame, &got); err != nil {
			t.Fatalf("encode = %s: %v", frame, err)
		}
		wantGroup := group
		var tmp string
		b, _ := json.Marshal(group)
		_ = json.Unmarshal(b, &tmp)
		wantGroup = tmp
		if got.Type != frameSendToGroup || got.Group != wantGroup || got.AckID != ackID || got.NoEcho != noEcho || got.DataType != m.DataType() {
			t.Fatalf("encode = %s, decoded %+v", frame, got)
		}
		back, err := (&downstream{DataType: got.DataType, Data: got.Data}).payload()
		if err != nil {
			t.Fatalf("payload of %s: %v", frame, err)
		}
		if m.DataType() != DataTypeJSON && !bytes.Equal(back.Bytes(), m.Bytes()) {
			t.Fatalf("round trip %v → %v", m, back)
		}
	})
}

// FuzzFastDecode checks that whenever the fast decoder accepts a frame, encoding/json decodes
// it to the same value.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"ack","ackId":1,"success":true}`,
		`{"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"x","extra":[1]}}`,
		`{"type":"message","from":"group","group":"g","fromUserId":"u","dataType":"json","data":{"a":[1,"]}"]},"sequenceId":7}`,
		`{"type":"message","from":"server","dataType":"text","data":"Hello \u2028","sequenceId":8}`,
		`{"type":"message","from":"server","dataType":"binary","data":"AAEC+g=="}`,
		`{"type":"system","event":"connected","connectionId":"c","userId":null,"reconnectionToken":"t"}`,
		` { "Type" : "ack" , "ACKID" : 01 } `, `{"type":"x","data":-1.5e3}`, `{"type":"x","ackId":18446744073709551616}`,
		`{"type":"x","data":[}`, `{"type":"x","error":null,"success":null,"data":null}`, `{"type":"x"} x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		fast, ok := fastDecode(p)
		if !ok {
			return
		}
		var slow downstream
		if err := json.Unmarshal(p, &slow); err != nil {
			t.Fatalf("fastDecode accepted %q, encoding/json: %v", p, err)
		}
		if (fast.Error == nil) != (slow.Error == nil) || (fast.Error != nil && *fast.Error != *slow.Error) {
			t.Fatalf("error field of %q: fast %+v, slow %+v", p, fast.Error, slow.Error)
		}
		if !bytes.Equal(fast.Data, slow.Data) {
			t.Fatalf("data of %q: fast %q, slow %q", p, fast.Data, slow.Data)
		}
		fast.Error, slow.Error, fast.Data, slow.Data = nil, nil, nil, nil
		if !reflect.DeepEqual(*fast, slow) {
			t.Fatalf("decode %q: fast %+v, slow %+v", p, *fast, slow)
		}
	})
}

// FuzzPlainString checks the fast string path against encoding/json.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\u00e9"`, `"é"`, `""`, `"`, `"a"b"`, "\"\xff\"", "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		got, ok := plainString(p)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(p, &want); err != nil || got != want {
			t.Fatalf("plainString(%q) = %q, encoding/json: %q, %v", p, got, want, err)
		}
	})
}
