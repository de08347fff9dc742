package middleware

import (
	"bytes"
	"encoding/base64"
	"net/http"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

type interopCase struct {
	name  string
	build func() *http.Request
	seen  bool // compare the notifications recorded by both sides
	// diff names the deliberate difference (a heading in docs/differences.md); js and ours
	// are then the answers each side must give.
	diff     string
	js, ours want
}

func opts(f func(o *handlertest.Options)) *handlertest.Options {
	o := &handlertest.Options{}
	f(o)
	return o
}

func interopCases() []interopCase {
	mqtt := &handlertest.MQTT{PhysicalConnectionID: "phys-9", SessionID: "sess-9"}
	state := handlertest.State(map[string]any{"user": "bob", "n": 2, "nested": map[string]any{"a": []any{1, "x"}}})
	connectBody := &handlertest.ConnectBody{
		Claims:             map[string][]string{"sub": {"alice"}, "aud": {"http://127.0.0.1:7071/client/hubs/chat"}, "role": {"a", "b"}},
		Query:              map[string][]string{"access_token": {"secret"}, "room": {"1", "2"}},
		Headers:            map[string][]string{"Host": {"127.0.0.1:7071"}, "Upgrade": {"websocket"}},
		Subprotocols:       []string{wire.SubprotocolJSON, wire.SubprotocolJSONReliable},
		ClientCertificates: []handler.ClientCertificate{{Thumbprint: "ABC", Content: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}},
	}
	text, bin := wire.ContentTypeTextUTF8, wire.ContentTypeBinary
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = []string{kv[i+1]}
		}
		return h
	}
	return []interopCase{
		// Connect.
		{name: "connect with everything decoded into state", build: func() *http.Request {
			return handlertest.Connect("chat", connectBody, opts(func(o *handlertest.Options) { o.UserID = "alice" }))
		}},
		{name: "connect anonymous, no subprotocol", build: func() *http.Request { return handlertest.Connect("chat", nil, nil) }},
		{name: "connect with user from query", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"user": {"q-user"}}}, nil)
		}},
		{name: "connect with empty success", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"empty": {"1"}}}, nil)
		}},
		{name: "connect MQTT", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{
				Subprotocols: []string{"mqtt"},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5, Username: "u", Password: []byte("pass"),
					UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}},
			}, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect MQTT 3.1.1 refused 401", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"401"}},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 4}}, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect MQTT 5 refused 400", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"400"}},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5}}, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect MQTT 5 refused 500", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"500"}},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5}}, &handlertest.Options{MQTT: mqtt})
		}},
		// Our failures carry a Content-Type; JS's res.fail sets none.
		{name: "connect refused 401", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"401"}}}, nil)
		}, js: want{401, "refused with 401", noContentType}, ours: want{401, "refused with 401", text}},
		{name: "connect refused 400", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"400"}}}, nil)
		}, js: want{400, "refused with 400", noContentType}, ours: want{400, "refused with 400", text}},
		{name: "connect refused 500", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"500"}}}, nil)
		}, js: want{500, "refused with 500", noContentType}, ours: want{500, "refused with 500", text}},
		{name: "connect to a hub without funcs", build: func() *http.Request { return handlertest.Connect("bare", nil, nil) }},
		{name: "MQTT connect to a hub without funcs", build: func() *http.Request {
			return handlertest.Connect("bare", nil, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect with a body that is not JSON", diff: "Malformed JSON bodies do not crash the handler", build: func() *http.Request {
			return handlertest.Event("chat", "connect", wire.ContentTypeJSON, []byte("{not json"),
				opts(func(o *handlertest.Options) { o.Header = hdr("Ce-Type", wire.TypeConnect) }))
		}, js: want{500, "", ""}, ours: want{400, "invalid event body", text}},

		// User events: every body type, state, replies.
		{name: "message text with state", build: func() *http.Request {
			return handlertest.Message("chat", "hello", &handlertest.Options{State: state})
		}},
		{name: "message without state", build: func() *http.Request { return handlertest.Message("chat", "hello", nil) }},
		{name: "message with charset parameter", build: func() *http.Request {
			return handlertest.Event("chat", "message", "text/plain; charset=utf-8", []byte("ü"), &handlertest.Options{State: state})
		}},
		{name: "hub name and path in another case", build: func() *http.Request {
			return handlertest.Message("CHAT", "hi", &handlertest.Options{Target: "/API/WebPubSub/Hubs/Chat/message", State: state})
		}},
		{name: "custom path", build: func() *http.Request {
			return handlertest.Message("chat", "hi", &handlertest.Options{Target: "/custom/events/message", State: state})
		}},
		{name: "custom path itself in another case", build: func() *http.Request {
			return handlertest.Message("chat", "hi", &handlertest.Options{Target: "/CUSTOM/EVENTS"})
		}},
		{name: "deeper path under the hub", build: func() *http.Request {
			return handlertest.Message("chat", "hi", &handlertest.Options{Target: "/api/webpubsub/hubs/chat/a/b/c"})
		}},
		{name: "JSON with charset parameter", build: func() *http.Request {
			return handlertest.Event("chat", "echo", "application/json; charset=utf-8", []byte(`{"k":[true,null]}`), nil)
		}},
		{name: "echo text", build: func() *http.Request { return handlertest.Text("chat", "echo", "some text", nil) }},
		{name: "echo JSON", build: func() *http.Request {
			return handlertest.JSON("chat", "echo", map[string]any{"a": []int{1, 2}, "b": "c"}, nil)
		}},
		{name: "echo JSON scalar", build: func() *http.Request { return handlertest.JSON("chat", "echo", "just a string", nil) }},
		{name: "echo binary", build: func() *http.Request {
			return handlertest.Binary("chat", "echo", []byte{0, 1, 2, 0xfe, 0xff}, nil)
		}},
		{name: "echo empty binary", build: func() *http.Request { return handlertest.Binary("chat", "echo", []byte{}, nil) }},
		{name: "state set from text", build: func() *http.Request {
			return handlertest.Text("chat", "state", "t1", &handlertest.Options{State: state})
		}},
		{name: "state set from JSON", build: func() *http.Request {
			return handlertest.JSON("chat", "state", map[string]any{"deep": true}, &handlertest.Options{State: state})
		}},
		{name: "state set without incoming state", build: func() *http.Request { return handlertest.Text("chat", "state", "t2", nil) }},
		{name: "state cleared key by key", diff: "No-content replies are 204", build: func() *http.Request {
			return handlertest.Text("chat", "clear", "", &handlertest.Options{State: state})
		}, js: want{200, "", bin}, ours: want{204, "", ""}},
		{name: "unparseable state reads as empty", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{State: "%%%not base64"})
		}},
		{name: "state that is not an object reads as empty", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{State: base64.StdEncoding.EncodeToString([]byte(`[1,2]`))})
		}},
		// By default (StateFormatJS) a .NET-written state reads as JS reads it: the values
		// are the base64 strings.
		{name: "state written by the .NET SDK", build: func() *http.Request {
			net := base64.StdEncoding.EncodeToString([]byte(`{"user":"` + base64.StdEncoding.EncodeToString([]byte(`"carol"`)) + `"}`))
			return handlertest.Message("chat", "hi", &handlertest.Options{State: net})
		}},
		{name: "context of a user event", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{UserID: "u-1", ConnectionID: "c-77", State: state, Subprotocol: wire.SubprotocolJSON})
		}},
		{name: "context of an MQTT user event", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{UserID: "u-2", MQTT: mqtt})
		}},
		{name: "fallback for an unregistered event", build: func() *http.Request { return handlertest.Binary("chat", "other", []byte("x"), nil) }},
		{name: "fallback with JSON body", build: func() *http.Request { return handlertest.JSON("chat", "other", 1, nil) }},
		{name: "user event fails 400", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Text("chat", "fail400", "", nil)
		}, js: want{400, "failed fail400", noContentType}, ours: want{400, "failed fail400", text}},
		{name: "user event fails 401", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Text("chat", "fail401", "", nil)
		}, js: want{401, "failed fail401", noContentType}, ours: want{401, "failed fail401", text}},
		{name: "user event fails 500", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Text("chat", "fail500", "", nil)
		}, js: want{500, "failed fail500", noContentType}, ours: want{500, "failed fail500", text}},
		{name: "user event with nothing to say", diff: "No-content replies are 204", build: func() *http.Request {
			return handlertest.Text("chat", "nothing", "", nil)
		}, js: want{200, "", bin}, ours: want{204, "", ""}},
		{name: "user event to a hub without funcs", build: func() *http.Request { return handlertest.Message("bare", "x", nil) }},
		{name: "user event with an unsupported content type", diff: "Unsupported content types are a 415", build: func() *http.Request {
			return handlertest.Event("chat", "echo", "application/xml", []byte("<a/>"), nil)
		}, js: want{404, "Cannot POST", ""}, ours: want{415, "unsupported content type", text}},
		{name: "user event without a content type", diff: "Unsupported content types are a 415", build: func() *http.Request {
			return handlertest.Event("chat", "echo", "", []byte("x"), nil)
		}, js: want{404, "Cannot POST", ""}, ours: want{415, "unsupported content type", text}},
		{name: "MQTT user event with any content type", diff: "MQTT user events accept any content type", build: func() *http.Request {
			return handlertest.Event("chat", "other", "application/x-custom", []byte("raw"), &handlertest.Options{MQTT: mqtt})
		}, js: want{404, "Cannot POST", ""}, ours: want{200, "fallback:other:binary", text}},
		{name: "typed JSON event", build: func() *http.Request {
			return handlertest.JSON("chat", "typed", map[string]any{"x": 1.5}, nil)
		}},
		{name: "typed JSON event with a body that is not JSON", diff: "Malformed JSON bodies do not crash the handler", build: func() *http.Request {
			return handlertest.Event("chat", "typed", wire.ContentTypeJSON, []byte("{oops"), nil)
		}, js: want{500, "", ""}, ours: want{400, "invalid JSON payload", text}},
		{name: "untyped JSON event with a body that is not JSON", diff: "Malformed JSON bodies do not crash the handler", build: func() *http.Request {
			return handlertest.Event("chat", "echo", wire.ContentTypeJSON, []byte("{oops"), nil)
		}, js: want{500, "", ""}, ours: want{200, "{oops", wire.ContentTypeJSONUTF8}},

		// Notifications.
		{name: "connected", seen: true, build: func() *http.Request {
			return handlertest.Connected("chat", &handlertest.Options{UserID: "u", State: state})
		}},
		{name: "disconnected with reason", seen: true, build: func() *http.Request {
			return handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "gone"}, nil)
		}},
		{name: "disconnected normal close", seen: true, build: func() *http.Request {
			return handlertest.Disconnected("chat", nil, &handlertest.Options{State: state})
		}},
		{name: "MQTT disconnected", seen: true, build: func() *http.Request {
			return handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "bye", MQTT: &handler.MQTTDisconnectedProperties{
				InitiatedByClient: true, DisconnectPacket: &handler.MQTTDisconnectPacket{Code: 0, UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}}}},
				&handlertest.Options{MQTT: mqtt})
		}},
		{name: "group joined", seen: true, build: func() *http.Request { return handlertest.GroupJoined("chat", "lobby", nil) }},
		{name: "group left", seen: true, build: func() *http.Request { return handlertest.GroupLeft("chat", "lobby", nil) }},
		{name: "notification func fails", diff: "Failed notifications are a 500", build: func() *http.Request {
			return handlertest.GroupJoined("chat", "fail", nil)
		}, js: want{200, "", ""}, ours: want{500, "Internal Server Error", text}},
		{name: "notifications to a hub without funcs", build: func() *http.Request { return handlertest.Connected("bare", nil) }},

		// Abuse protection.
		{name: "handshake from the allowed origin", build: func() *http.Request { return handlertest.Validate("chat", "") }},
		{name: "handshake listing several origins", build: func() *http.Request {
			return handlertest.Validate("chat", "other.webpubsub.azure.com, "+handlertest.Origin)
		}},
		{name: "handshake from another origin", diff: "Handshakes from unknown origins are refused", build: func() *http.Request {
			return handlertest.Validate("chat", "evil.example.com")
		}, js: want{200, "", ""}, ours: want{400, "not among the allowed origins", text}},
		{name: "handshake without origin", build: func() *http.Request {
			r := handlertest.Validate("chat", "")
			r.Header.Del(wire.HeaderRequestOrigin)
			return r
		}, diff: "Error answers carry a Content-Type", js: want{400, "", noContentType}, ours: want{400, "WebHook-Request-Origin", text}},

		// Security and routing.
		{name: "wrong signature", diff: "Signatures are checked", build: func() *http.Request {
			return handlertest.Message("chat", "x", &handlertest.Options{Keys: []string{"not-the-key"}})
		}, js: want{200, ":x", text}, ours: want{401, "signature", text}},
		{name: "missing signature", diff: "Signatures are checked", build: func() *http.Request {
			return handlertest.Message("chat", "x", &handlertest.Options{Unsigned: true})
		}, js: want{200, ":x", text}, ours: want{401, "signature", text}},
		{name: "signature by a second key", diff: "Signatures are checked", build: func() *http.Request {
			return handlertest.Message("chat", "x", &handlertest.Options{Keys: []string{"old-key", handlertest.AccessKey}})
		}, js: want{200, ":x", text}, ours: want{200, ":x", text}},
		{name: "body over the limit", diff: "Bodies are limited", build: func() *http.Request {
			return handlertest.Binary("chat", "other", bytes.Repeat([]byte("x"), handler.DefaultMaxBodyBytes+1), nil)
		}, js: want{200, "fallback:other:binary", text}, ours: want{413, "Request Entity Too Large", text}},
		{name: "ce-hub names another hub than the path", diff: "Calls for an unknown hub are a 404 with a reason", build: func() *http.Request {
			return handlertest.Message("bare", "x", &handlertest.Options{Target: "/api/webpubsub/hubs/chat/message"})
		}, js: want{404, "Cannot POST", ""}, ours: want{404, `but this path serves hub`, ""}},
		{name: "unknown hub", diff: "Calls for an unknown hub are a 404 with a reason", build: func() *http.Request {
			return handlertest.Message("nohub", "x", nil)
		}, js: want{404, "Cannot POST", ""}, ours: want{404, `no hub named`, ""}},
		{name: "unknown event type", diff: "Unknown event types are a 400", build: func() *http.Request {
			return handlertest.Event("chat", "message", wire.ContentTypeText, []byte("x"),
				opts(func(o *handlertest.Options) { o.Header = hdr("Ce-Type", "azure.webpubsub.other.message") }))
		}, js: want{404, "Cannot POST", ""}, ours: want{400, "unknown event type", text}},
		{name: "no ce-awpsversion but an origin", diff: "Either marker header makes a Web PubSub call", build: func() *http.Request {
			return handlertest.Message("chat", "x", opts(func(o *handlertest.Options) { o.Header = hdr("Ce-Awpsversion", "") }))
		}, js: want{404, "Cannot POST", ""}, ours: want{200, ":x", text}},
		{name: "no WebHook-Request-Origin on an event", diff: "Either marker header makes a Web PubSub call", build: func() *http.Request {
			return handlertest.Message("chat", "x", opts(func(o *handlertest.Options) { o.Header = hdr("Webhook-Request-Origin", "") }))
		}, js: want{404, "Cannot POST", ""}, ours: want{200, ":x", text}},
	}
}
