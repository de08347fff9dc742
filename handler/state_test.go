package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeState(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    map[string]string // key → raw JSON
		wantErr error
	}{
		{"empty header", "", map[string]string{}, nil},
		{"JS SDK value", "eyJhIjoxfQ==", map[string]string{"a": "1"}, nil},
		{"nested values", b64(`{"user":{"name":"ann","tags":["x"]},"n":2.5,"ok":true,"none":null}`),
			map[string]string{"user": `{"name":"ann","tags":["x"]}`, "n": "2.5", "ok": "true", "none": "null"}, nil},
		{"unpadded", strings.TrimRight(b64(`{"a":"bc"}`), "="), map[string]string{"a": `"bc"`}, nil},
		{"URL-safe", base64.URLEncoding.EncodeToString([]byte(`{"a":"??>"}`)), map[string]string{"a": `"??>"`}, nil},
		{"empty object", "e30=", map[string]string{}, nil},
		{"not base64", "%%%", nil, handler.ErrInvalidState},
		{"array", b64(`[1]`), nil, handler.ErrInvalidState},
		{"string", b64(`"x"`), nil, handler.ErrInvalidState},
		{"null", b64(`null`), nil, handler.ErrInvalidState},
		{"broken JSON", b64(`{"a":`), nil, handler.ErrInvalidState},
		{"trailing garbage", b64(`{"a":1}x`), nil, handler.ErrInvalidState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handler.DecodeState(tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeState(%q) error = %v, want %v", tt.header, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			gotS := map[string]string{}
			for k, v := range got {
				gotS[k] = string(v)
			}
			if !reflect.DeepEqual(gotS, tt.want) {
				t.Errorf("DecodeState(%q) = %v, want %v", tt.header, gotS, tt.want)
			}
		})
	}
}

func TestEncodeStateMatchesJS(t *testing.T) {
	// Buffer.from(JSON.stringify({a:1})).toString("base64") in Node.
	got, err := handler.EncodeState(map[string]any{"a": 1})
	if err != nil || got != "eyJhIjoxfQ==" {
		t.Fatalf("EncodeState = %q, %v; want eyJhIjoxfQ==", got, err)
	}
	if _, err := handler.EncodeState(map[string]any{"f": func() {}}); err == nil {
		t.Fatal("EncodeState accepted a func")
	}
}

type profile struct {
	Name  string   `json:"name"`
	Rooms []string `json:"rooms"`
}

func TestStateAs(t *testing.T) {
	p := profile{Name: "ann", Rooms: []string{"a"}}
	pj, _ := json.Marshal(p)
	dotnet := b64(`{"profile":"` + b64(string(pj)) + `","count":"` + b64("3") + `","name":"` + b64(`"bob"`) + `"}`)
	js := handlertest.State(map[string]any{"profile": p, "count": 3, "name": "bob", "b64": "MTIz"})
	tests := []struct {
		name    string
		header  string
		format  handler.StateFormat
		get     func(s *handler.State) (any, error)
		want    any
		wantErr error
	}{
		{"struct", js, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[profile](s, "profile") }, p, nil},
		{"int", js, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[int](s, "count") }, 3, nil},
		{"string that looks like base64 stays itself", js, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[string](s, "b64") }, "MTIz", nil},
		{"missing key", js, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[int](s, "nope") }, 0, handler.ErrStateKeyNotFound},
		{"wrong type", js, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[int](s, "name") }, 0, nil},
		{".NET value read in JS mode (struct)", dotnet, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[profile](s, "profile") }, p, nil},
		{".NET value read in JS mode (int)", dotnet, handler.StateFormatJS, func(s *handler.State) (any, error) { return handler.StateAs[int](s, "count") }, 3, nil},
		{".NET format: string", dotnet, handler.StateFormatDotNet, func(s *handler.State) (any, error) { return handler.StateAs[string](s, "name") }, "bob", nil},
		{".NET format: struct", dotnet, handler.StateFormatDotNet, func(s *handler.State) (any, error) { return handler.StateAs[profile](s, "profile") }, p, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, &handler.Options{StateFormat: tt.format})
			var got any
			var err error
			hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				got, err = tt.get(&ev.State)
				return nil, nil
			})
			serve(hub, handlertest.Message("chat", "x", &handlertest.Options{State: tt.header}))
			if tt.name == "wrong type" {
				if err == nil || !strings.Contains(err.Error(), `state key "name"`) {
					t.Fatalf("err = %v, want a decode error naming the key", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestStateWriteBack(t *testing.T) {
	in := handlertest.State(map[string]any{"a": 1, "b": "x"})
	tests := []struct {
		name      string
		header    string
		opts      *handler.Options
		change    func(s *handler.State) error
		wantState string // "" = no header
		wantErr   error
	}{
		{"unchanged writes nothing", in, nil, func(s *handler.State) error { _, _ = s.Get("a"); return nil }, "", nil},
		{"set merges into the full object", in, nil, func(s *handler.State) error { return s.Set("c", []int{1}) },
			b64(`{"a":1,"b":"x","c":[1]}`), nil},
		{"overwrite", in, nil, func(s *handler.State) error { return s.Set("a", 2) }, b64(`{"a":2,"b":"x"}`), nil},
		{"set raw", in, nil, func(s *handler.State) error { return s.SetRaw("a", json.RawMessage(`{"z":true}`)) }, b64(`{"a":{"z":true},"b":"x"}`), nil},
		{"set raw invalid", in, nil, func(s *handler.State) error { return s.SetRaw("a", json.RawMessage(`{`)) }, "", errors.New("not valid JSON")},
		{"set unmarshallable", in, nil, func(s *handler.State) error { return s.Set("a", make(chan int)) }, "", errors.New("unsupported type")},
		{"delete", in, nil, func(s *handler.State) error { s.Delete("a"); return nil }, b64(`{"b":"x"}`), nil},
		{"delete missing key changes nothing", in, nil, func(s *handler.State) error { s.Delete("zz"); return nil }, "", nil},
		{"clear sends an empty object", in, nil, func(s *handler.State) error { s.Clear(); return nil }, "e30=", nil},
		{"first state", "", nil, func(s *handler.State) error { return s.Set("n", 1) }, "eyJuIjoxfQ==", nil},
		{"bad incoming state is visible and replaced", "!!!", nil, func(s *handler.State) error {
			if !errors.Is(s.Err(), handler.ErrInvalidState) || s.Raw() != "!!!" || s.Len() != 0 {
				return errors.New("bad state not reported")
			}
			return s.Set("n", 1)
		}, "eyJuIjoxfQ==", nil},
		{"budget exceeded", "", &handler.Options{MaxStateBytes: 32}, func(s *handler.State) error {
			if err := s.Set("small", 1); err != nil {
				return err
			}
			return s.Set("big", strings.Repeat("x", 64))
		}, b64(`{"small":1}`), handler.ErrStateTooLarge},
		{"budget disabled", "", &handler.Options{MaxStateBytes: -1}, func(s *handler.State) error { return s.Set("big", strings.Repeat("x", 8000)) },
			b64(`{"big":"` + strings.Repeat("x", 8000) + `"}`), nil},
		{"default budget", "", nil, func(s *handler.State) error { return s.Set("big", strings.Repeat("x", handler.DefaultMaxStateBytes)) }, "", handler.ErrStateTooLarge},
		{".NET format write", "", &handler.Options{StateFormat: handler.StateFormatDotNet}, func(s *handler.State) error { return s.Set("n", 1) },
			b64(`{"n":"` + b64("1") + `"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, tt.opts)
			var err error
			var keys []string
			hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				err = tt.change(&ev.State)
				keys = ev.State.Keys()
				return nil, nil
			})
			rec := serve(hub, handlertest.Message("chat", "x", &handlertest.Options{State: tt.header}))
			if rec.Code != 204 {
				t.Fatalf("status %d %q", rec.Code, rec.Body)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("change: %v", err)
			case tt.wantErr != nil && (err == nil || !(errors.Is(err, tt.wantErr) || strings.Contains(err.Error(), tt.wantErr.Error()))):
				t.Fatalf("change error = %v, want %v", err, tt.wantErr)
			}
			if got := rec.Header().Get(wire.HeaderConnectionState); got != tt.wantState {
				t.Errorf("ce-connectionState = %q, want %q (keys %v)", got, tt.wantState, keys)
			}
		})
	}
}

func TestStateIgnoredOnNotifications(t *testing.T) {
	hub := newHub(t, nil)
	hub.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error { return ev.State.Set("a", 1) })
	rec := serve(hub, handlertest.Connected("chat", nil))
	if rec.Code != 200 || rec.Header().Get(wire.HeaderConnectionState) != "" {
		t.Fatalf("status %d, state header %q; notifications cannot change state", rec.Code, rec.Header().Get(wire.HeaderConnectionState))
	}
}

func TestStateFormatString(t *testing.T) {
	if handler.StateFormatJS.String() != "js" || handler.StateFormatDotNet.String() != "dotnet" {
		t.Fatal("StateFormat.String")
	}
}
