package emulator

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantErr   error
		wantBad   bool
		wantType  string
		wantAck   int64 // -1: no ack id
		wantData  string
		wantDType string
	}{
		{"join", `{"type":"joinGroup","group":"g","ackId":1}`, nil, false, "joinGroup", 1, "", ""},
		{"leave without ack", `{"type":"leaveGroup","group":"g"}`, nil, false, "leaveGroup", -1, "", ""},
		{"send text", `{"type":"sendToGroup","group":"g","dataType":"text","data":"hi","noEcho":true}`, nil, false, "sendToGroup", -1, "hi", "text"},
		{"send json default", `{"type":"sendToGroup","group":"g","data":{"a":1}}`, nil, false, "sendToGroup", -1, `{"a":1}`, "json"},
		{"send binary", `{"type":"sendToGroup","group":"g","dataType":"binary","data":"AAE="}`, nil, false, "sendToGroup", -1, "\x00\x01", "binary"},
		{"event", `{"type":"event","event":"e","dataType":"json","data":[1],"ackId":7}`, nil, false, "event", 7, "[1]", "json"},
		{"sequenceAck number", `{"type":"sequenceAck","sequenceId":42}`, nil, false, "sequenceAck", -1, "", ""},
		{"sequenceAck quoted", `{"type":"sequenceAck","sequenceId":"42"}`, nil, false, "sequenceAck", -1, "", ""},
		{"ping", `{"type":"ping"}`, nil, false, "ping", -1, "", ""},
		{"unknown type kept", `{"type":"invoke","ackId":3}`, nil, false, "invoke", 3, "", ""},
		{"not json", `hello`, errNotJSONObject, false, "", 0, "", ""},
		{"array", `[1]`, errNotJSONObject, false, "", 0, "", ""},
		{"no type", `{"group":"g"}`, errNoType, false, "", 0, "", ""},
		{"type not string", `{"type":1}`, errNotJSONObject, false, "", 0, "", ""},
		{"join without group", `{"type":"joinGroup","ackId":1}`, nil, true, "joinGroup", 1, "", ""},
		{"whitespace group", `{"type":"joinGroup","group":"  ","ackId":1}`, nil, true, "joinGroup", 1, "", ""},
		{"group too long", `{"type":"joinGroup","group":"` + strings.Repeat("g", 1025) + `"}`, nil, true, "joinGroup", -1, "", ""},
		{"text data not string", `{"type":"sendToGroup","group":"g","dataType":"text","data":1,"ackId":2}`, nil, true, "sendToGroup", 2, "", ""},
		{"bad base64", `{"type":"sendToGroup","group":"g","dataType":"binary","data":"%%%","ackId":2}`, nil, true, "sendToGroup", 2, "", ""},
		{"unknown dataType", `{"type":"event","event":"e","dataType":"xml","data":"x","ackId":2}`, nil, true, "event", 2, "", ""},
		{"negative ack", `{"type":"joinGroup","group":"g","ackId":-1}`, nil, true, "joinGroup", -1, "", ""},
		{"event without name", `{"type":"event","data":1}`, nil, true, "event", -1, "", ""},
		{"sequenceAck missing id", `{"type":"sequenceAck"}`, nil, true, "sequenceAck", -1, "", ""},
		{"noEcho not bool", `{"type":"sendToGroup","group":"g","noEcho":"yes","data":1}`, nil, true, "sendToGroup", -1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decodeRequest([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("decodeRequest(%s) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if (r.malformed != nil) != tt.wantBad {
				t.Errorf("decodeRequest(%s) malformed = %v, want %v", tt.in, r.malformed, tt.wantBad)
			}
			if r.typ != tt.wantType {
				t.Errorf("type = %q, want %q", r.typ, tt.wantType)
			}
			gotAck := int64(-1)
			if r.hasAck {
				gotAck = int64(r.ackID)
			}
			if gotAck != tt.wantAck {
				t.Errorf("ack = %d, want %d", gotAck, tt.wantAck)
			}
			if !tt.wantBad && (string(r.payload.data) != tt.wantData || r.payload.dataType != tt.wantDType) {
				t.Errorf("payload = %q %q, want %q %q", r.payload.data, r.payload.dataType, tt.wantData, tt.wantDType)
			}
		})
	}
}

func TestNewDelivery(t *testing.T) {
	tests := []struct {
		name string
		from string
		m    outMessage
		want string
	}{
		{"text from server", fromServer, outMessage{[]byte("a\"b"), dataText}, `{"type":"message","from":"server","dataType":"text","data":"a\"b"}`},
		{"json from group", fromGroup, outMessage{[]byte(` {"x":1} `), dataJSON}, `{"type":"message","from":"group","group":"g","fromUserId":"u","dataType":"json","data":{"x":1}}`},
		{"json string stays string", fromServer, outMessage{[]byte(`"s"`), dataJSON}, `{"type":"message","from":"server","dataType":"json","data":"s"}`},
		{"invalid json falls back to text", fromServer, outMessage{[]byte(`{`), dataJSON}, `{"type":"message","from":"server","dataType":"text","data":"{"}`},
		{"binary", fromServer, outMessage{[]byte{0, 255}, dataBinary}, `{"type":"message","from":"server","dataType":"binary","data":"AP8="}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDelivery(tt.from, "g", "u", tt.m)
			got := string(d.json) + "}"
			if got != tt.want {
				t.Errorf("newDelivery = %s, want %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

// FuzzDecodeRequest: the subprotocol frame decoder never panics; a decoded request is either
// malformed or consistent, and re-encoding a decoded payload yields valid JSON frames.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"type":"joinGroup","group":"g","ackId":1}`,
		`{"type":"sendToGroup","group":"g","dataType":"binary","data":"AAE=","noEcho":true}`,
		`{"type":"event","event":"e","dataType":"json","data":{"a":[1,2]}}`,
		`{"type":"sequenceAck","sequenceId":"18446744073709551615"}`,
		`{"type":"sendToGroup","group":"\u0000","dataType":"text","data":"\ud800"}`,
		`{"type":null}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRequest(b)
		if err != nil {
			if !errors.Is(err, errNotJSONObject) && !errors.Is(err, errNoType) {
				t.Fatalf("unexpected error kind %v", err)
			}
			return
		}
		if r.typ == "" {
			t.Fatal("decoded request without type")
		}
		if r.malformed != nil {
			return
		}
		switch r.typ {
		case reqJoinGroup, reqLeaveGroup, reqSendToGroup:
			if checkGroupName(r.group) != nil {
				t.Fatalf("accepted invalid group %q", r.group)
			}
		}
		if r.typ == reqSendToGroup || r.typ == reqEvent {
			d := newDelivery(fromGroup, r.group, "u", r.payload)
			if !json.Valid(append(d.json, '}')) {
				t.Fatalf("re-encoded frame is not JSON: %s}", d.json)
			}
		}
	})
}
