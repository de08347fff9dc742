package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// fastDecodeSeeds are frames as the Go and JS clients send them, and edge cases of the fast
// path (escapes, case-folded names, duplicates, nesting, numbers, white space).
var fastDecodeSeeds = []string{
	`{"type":"sendToGroup","group":"bench","ackId":1,"dataType":"text","data":"0123456789abcdef0123456789abcdef"}`,
	`{"type":"sendToGroup","group":"g","dataType":"json","data":{"a":[1,2.5e3,-0.1,true,false,null,"\u00e9\n"]},"noEcho":true}`,
	`{"type":"sendToGroup","group":"g","dataType":"binary","data":"aGVsbG8="}`,
	`{"type":"event","event":"message","dataType":"text","data":"hi","ackId":7}`,
	`{"type":"event","event":"e","dataType":"json","data":123}`,
	`{"type":"sequenceAck","sequenceId":42}`,
	`{"type":"sequenceAck","sequenceId":"42"}`,
	`{"type":"joinGroup","group":"room","ackId":3}`,
	`{"type":"leaveGroup","group":"room"}`,
	`{"type":"ping"}`,
	` { "type" : "joinGroup" , "group" : "g\u0041" } `,
	`{"TYPE":"joinGroup","group":"g"}`,
	`{"type":"joinGroup","group":"a","group":"b"}`,
	`{"type":"joinGroup","gr\u006fup":"a"}`,
	`{"type":"joinGroup","groupſ":"a","ſtype":1}`,
	`{"type":null,"group":"g"}`,
	`{"type":1}`,
	`{"type":"sendToGroup","group":"g","data":"x","dataType":"text","ackId":-1}`,
	`{"type":"sendToGroup","group":"g","data":"x","dataType":"text","ackId":1.0}`,
	`{"type":"sendToGroup","group":"g","data":"x","dataType":"text","noEcho":"yes"}`,
	`{"type":"sendToGroup","group":"g","data":01}`,
	`{"type":"sendToGroup","group":"\u0000"}`,
	"{\"type\":\"joinGroup\",\"group\":\"\xff\"}",
	"{\"type\":\"joinGroup\",\"group\":\"é\"}",
	`{"type":"event","event":"e","data":[[[[[[[[[[[]]]]]]]]]]],"extra":{"k":{}}}`,
	`{"type":"event","event":"e","dataType":"text","data":null}`,
	`{}`,
	`[]`,
	`{"type":"ping"} x`,
	`{"type":"ping",}`,
	``,
}

// FuzzFastDecode is the differential test of the fast path: whenever fastDecode accepts a
// frame, encoding/json accepts it too and fills the same wireRequest; and decodeRequest as a
// whole answers exactly as decodeRequestRef (encoding/json for everything) does.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastDecodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fw wireRequest
		if fastDecode(b, &fw) {
			var jw wireRequest
			if err := json.Unmarshal(b, &jw); err != nil {
				t.Fatalf("fastDecode accepted %q, encoding/json fails: %v", b, err)
			}
			if d := diffWire(fw, jw); d != "" {
				t.Fatalf("fastDecode(%q) differs from encoding/json: %s", b, d)
			}
		}
		got, gotErr := decodeRequest(b)
		want, wantErr := decodeRequestRef(b)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && (errors.Is(gotErr, errNoType) != errors.Is(wantErr, errNoType))) {
			t.Fatalf("decodeRequest(%q) error %v, reference %v", b, gotErr, wantErr)
		}
		if d := diffRequest(got, want); d != "" {
			t.Fatalf("decodeRequest(%q) differs from the reference: %s", b, d)
		}
	})
}

// TestFastDecodeTakesCommonFrames checks that the frames clients send most do take the fast
// path (the fuzz test alone would pass with a fast path that always gives up).
func TestFastDecodeTakesCommonFrames(t *testing.T) {
	for _, s := range fastDecodeSeeds[:10] {
		var w wireRequest
		if !fastDecode([]byte(s), &w) || w.Type == nil {
			t.Errorf("fastDecode(%s) gave up", s)
		}
	}
	for _, s := range []string{`{"TYPE":"joinGroup","group":"g"}`, `{"type":"joinGroup","group":"a","group":"b"}`, `{"type":1}`, `{"type":"ping"} x`} {
		var w wireRequest
		if fastDecode([]byte(s), &w) {
			t.Errorf("fastDecode(%s) = true, want false (encoding/json decides)", s)
		}
	}
}

func diffWire(a, b wireRequest) string {
	strs := []struct {
		name string
		x, y *string
	}{{"type", a.Type, b.Type}, {"group", a.Group, b.Group}, {"event", a.Event, b.Event}, {"dataType", a.DataType, b.DataType}}
	for _, s := range strs {
		if (s.x == nil) != (s.y == nil) || (s.x != nil && *s.x != *s.y) {
			return fmt.Sprintf("%s: %v vs %v", s.name, deref(s.x), deref(s.y))
		}
	}
	raws := []struct {
		name string
		x, y json.RawMessage
	}{{"ackId", a.AckID, b.AckID}, {"noEcho", a.NoEcho, b.NoEcho}, {"data", a.Data, b.Data}, {"sequenceId", a.Seq, b.Seq}}
	for _, r := range raws {
		if (r.x == nil) != (r.y == nil) || !bytes.Equal(r.x, r.y) {
			return fmt.Sprintf("%s: %q vs %q", r.name, r.x, r.y)
		}
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *s)
}

func diffRequest(a, b request) string {
	if a.typ != b.typ || a.group != b.group || a.event != b.event || a.ackID != b.ackID || a.hasAck != b.hasAck ||
		a.noEcho != b.noEcho || a.seq != b.seq || a.payload.dataType != b.payload.dataType || !bytes.Equal(a.payload.data, b.payload.data) {
		return fmt.Sprintf("%+v vs %+v", a, b)
	}
	if (a.malformed == nil) != (b.malformed == nil) || (a.malformed != nil && a.malformed.Error() != b.malformed.Error()) {
		return fmt.Sprintf("malformed %v vs %v", a.malformed, b.malformed)
	}
	return ""
}

// decodeRequestRef is decodeRequest before the fast path (encoding/json for everything): it decodes one text frame of a JSON subprotocol. Frames that are not a JSON
// object with a string type return an error; requests with invalid fields come back with
// request.malformed set (and the ack id, when it was readable).
func decodeRequestRef(b []byte) (request, error) {
	var w wireRequest
	if err := json.Unmarshal(b, &w); err != nil {
		return request{}, fmt.Errorf("%w: %v", errNotJSONObject, err)
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
		if err := json.Unmarshal(w.AckID, &id); err != nil || bytes.HasPrefix(bytes.TrimSpace(w.AckID), []byte(`"`)) {
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
		if err := json.Unmarshal(w.Seq, &s); err != nil || !s.set {
			return bad("sequenceId must be an unsigned integer")
		}
		r.seq = s.v
		return r, nil
	default:
		return r, nil
	}
	if r.typ == reqSendToGroup || r.typ == reqEvent {
		if len(w.NoEcho) > 0 && string(w.NoEcho) != "null" {
			if err := json.Unmarshal(w.NoEcho, &r.noEcho); err != nil {
				return bad("noEcho must be a boolean")
			}
		}
		dt := dataJSON
		if w.DataType != nil {
			dt = *w.DataType
		}
		p, err := decodePayloadRef(dt, w.Data)
		if err != nil {
			return bad("%v", err)
		}
		r.payload = p
	}
	return r, nil
}

// decodePayloadRef is decodePayload before the fast path: it converts the data of a request to the bytes and data type it stands for.
func decodePayloadRef(dataType string, data json.RawMessage) (outMessage, error) {
	switch dataType {
	case dataJSON:
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		return outMessage{data: bytes.Clone(data), dataType: dataJSON}, nil
	case dataText:
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return outMessage{}, errors.New("data must be a string for dataType text")
		}
		return outMessage{data: []byte(s), dataType: dataText}, nil
	case dataBinary:
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return outMessage{}, errors.New("data must be a base64 string for dataType binary")
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			raw, err = base64.RawStdEncoding.DecodeString(s)
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

// BenchmarkDecodeRequest compares decodeRequest (fast path) with the encoding/json reference
// on the common client frames, side by side in one run.
func BenchmarkDecodeRequest(b *testing.B) {
	frames := make([][]byte, 0, 10)
	for _, s := range fastDecodeSeeds[:10] {
		frames = append(frames, []byte(s))
	}
	for _, impl := range []struct {
		name string
		f    func([]byte) (request, error)
	}{{"fast", decodeRequest}, {"encoding-json", decodeRequestRef}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				if _, err := impl.f(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzAppendJSONString holds appendJSONString to json.Marshal.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain text 123", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline", "é ü 日本", "\xff\xfe", "\u2028\u2029", "\x7f\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want x%s", s, got, want)
		}
	})
}
