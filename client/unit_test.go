package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAckManager(t *testing.T) {
	m := newAckManager()
	id1, ch1, ok := m.register(0)
	if !ok || id1 != 1 {
		t.Fatalf("register(0) = %d, %v, want 1, true", id1, ok)
	}
	id2, ch2, _ := m.register(0)
	id3, ch3, _ := m.register(0)
	if id2 != 2 || id3 != 3 {
		t.Fatalf("ids = %d, %d, want 2, 3", id2, id3)
	}
	if _, _, ok := m.register(2); ok {
		t.Errorf("register(2) while 2 waits: ok, want refused")
	}
	tests := []struct {
		name    string
		frame   downstream
		ch      <-chan ackResult
		wantDup bool
		wantErr string
	}{
		{"success", downstream{AckID: id1, Success: true}, ch1, false, ""},
		{"duplicate is success", downstream{AckID: id2, Error: &ackDetail{Name: "Duplicate"}}, ch2, true, ""},
		{"forbidden", downstream{AckID: id3, Error: &ackDetail{Name: "Forbidden", Message: "no role"}}, ch3, false, "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !m.resolve(&tt.frame) {
				t.Fatalf("resolve(%d) = false", tt.frame.AckID)
			}
			r := <-tt.ch
			if r.duplicated != tt.wantDup {
				t.Errorf("duplicated = %v, want %v", r.duplicated, tt.wantDup)
			}
			if tt.wantErr == "" && r.err != nil || tt.wantErr != "" && (r.err == nil || r.err.Name != tt.wantErr) {
				t.Errorf("err = %v, want name %q", r.err, tt.wantErr)
			}
		})
	}
	if m.resolve(&downstream{AckID: 99, Success: true}) {
		t.Errorf("resolve(unknown) = true")
	}
	// A second ack for the same id does not block and keeps the first.
	m.resolve(&downstream{AckID: id1, Success: false, Error: &ackDetail{Name: "X"}})
	m.resolve(&downstream{AckID: id1, Success: true})
	if r := <-ch1; r.err == nil || r.err.Name != "X" {
		t.Errorf("first of two acks = %+v, want X", r)
	}
	for _, id := range []uint64{id1, id2, id3} {
		m.remove(id)
	}
	if n := m.pending(); n != 0 {
		t.Errorf("pending() = %d after remove, want 0", n)
	}
	// Auto ids skip ids chosen by callers that are still waiting.
	m.register(4)
	if id, _, _ := m.register(0); id != 5 {
		t.Errorf("register(0) with 4 taken = %d, want 5", id)
	}
}

func TestAckErrorAs(t *testing.T) {
	var err error = &AckError{AckID: 7, Name: AckErrorForbidden, Message: "no"}
	wrapped := errors.Join(errors.New("context"), err)
	var ae *AckError
	if !errors.As(wrapped, &ae) || ae.Name != AckErrorForbidden || ae.AckID != 7 {
		t.Fatalf("errors.As(%v) = %+v", wrapped, ae)
	}
	if got := err.Error(); got != "webpubsub: ack 7: Forbidden: no" {
		t.Errorf("Error() = %q", got)
	}
	for name, want := range map[string]bool{"Forbidden": false, "InternalServerError": true, "Timeout": true, "NotFound": false, "New": false} {
		if got := (&AckError{Name: name}).retryable(); got != want {
			t.Errorf("retryable(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestSequenceTracker(t *testing.T) {
	var s sequenceTracker
	steps := []struct {
		id         uint64
		wantNew    bool
		wantAckNow bool
	}{
		{1, true, false}, {2, true, false},
		{2, false, true}, // a duplicate before any ack: the service wants one
		{5, true, false}, // gaps are fine
		{7, true, true},  // more than 5 ahead of the last ack (0)
	}
	for _, st := range steps {
		isNew, ackNow := s.receive(st.id, 5)
		if isNew != st.wantNew || ackNow != st.wantAckNow {
			t.Errorf("receive(%d) = %v, %v, want %v, %v", st.id, isNew, ackNow, st.wantNew, st.wantAckNow)
		}
	}
	id, ok := s.toAck()
	if !ok || id != 7 {
		t.Fatalf("toAck() = %d, %v, want 7, true", id, ok)
	}
	s.sent(7)
	if _, ok := s.toAck(); ok {
		t.Errorf("toAck() after sent = true, want nothing new")
	}
	if isNew, ackNow := s.receive(6, 5); isNew || ackNow {
		t.Errorf("receive(6) after ack 7 = %v, %v, want a duplicate needing no ack", isNew, ackNow)
	}
	if _, ackNow := s.receive(12, 5); ackNow {
		t.Errorf("receive(12) 5 ahead of ack 7: ackNow, want not yet")
	}
	s.recovered()
	if id, ok := s.toAck(); !ok || id != 12 {
		t.Errorf("toAck() after recovered = %d, %v, want 12 again", id, ok)
	}
	s.reset()
	if isNew, _ := s.receive(1, 5); !isNew {
		t.Errorf("receive(1) after reset is not new")
	}
}

func TestRetryPolicy(t *testing.T) {
	half := func() float64 { return 0.5 } // factor 1.0
	tests := []struct {
		name     string
		opts     RetryOptions
		def      int
		n        int
		wantOK   bool
		wantWait time.Duration
	}{
		{"default first", RetryOptions{}, 3, 1, true, time.Second},
		{"default doubles", RetryOptions{}, 3, 3, true, 4 * time.Second},
		{"default limit", RetryOptions{}, 3, 4, false, 0},
		{"capped", RetryOptions{MaxRetries: 20, RetryDelay: time.Second, MaxRetryDelay: 5 * time.Second}, 3, 10, true, 5 * time.Second},
		{"disabled", RetryOptions{MaxRetries: -1}, 3, 1, false, 0},
		{"unlimited default", RetryOptions{}, unlimitedRetries, 1000, true, 30 * time.Second},
		{"max below delay", RetryOptions{RetryDelay: time.Minute, MaxRetryDelay: time.Second}, 3, 2, true, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newRetryPolicy(tt.opts, tt.def)
			p.rand = half
			d, ok := p.next(tt.n)
			if ok != tt.wantOK || d != tt.wantWait {
				t.Errorf("next(%d) = %v, %v, want %v, %v", tt.n, d, ok, tt.wantWait, tt.wantOK)
			}
		})
	}
	p := newRetryPolicy(RetryOptions{}, 3)
	for _, r := range []float64{0, 0.999} {
		p.rand = func() float64 { return r }
		d, _ := p.next(1)
		if d < 800*time.Millisecond || d >= 1200*time.Millisecond {
			t.Errorf("jittered delay %v outside [0.8s, 1.2s)", d)
		}
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name     string
		m        Message
		wantType DataType
		wantText string
		wantErr  bool
	}{
		{"zero", Message{}, DataTypeText, "", false},
		{"text", Text("hi"), DataTypeText, "hi", false},
		{"json", JSON(map[string]int{"a": 1}), DataTypeJSON, `{"a":1}`, false},
		{"json error", JSON(func() {}), DataTypeJSON, "", true},
		{"raw json", RawJSON([]byte(`[1]`)), DataTypeJSON, `[1]`, false},
		{"raw json invalid", RawJSON([]byte(`[1`)), DataTypeJSON, "", true},
		{"binary", Binary([]byte("ab")), DataTypeBinary, "ab", false},
		{"invalid utf-8 text", Text("\xff"), DataTypeText, "\xff", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.DataType(); got != tt.wantType {
				t.Errorf("DataType() = %s, want %s", got, tt.wantType)
			}
			if err := tt.m.check(); (err != nil) != tt.wantErr {
				t.Fatalf("check() = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && tt.m.Text() != tt.wantText {
				t.Errorf("Text() = %q, want %q", tt.m.Text(), tt.wantText)
			}
		})
	}
	var v struct{ A int }
	if err := JSON(map[string]int{"A": 3}).Decode(&v); err != nil || v.A != 3 {
		t.Errorf("Decode = %v, %+v", err, v)
	}
	if err := Binary(nil).Decode(&v); err == nil {
		t.Errorf("Decode(binary) = nil, want error")
	}
	if s := Binary(make([]byte, 3)).String(); s != "binary(3 bytes)" {
		t.Errorf("String() = %q", s)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		url  string
		opts *Options
		want string
	}{
		{"empty", "", nil, "empty"},
		{"scheme", "ftp://x/client/hubs/h", nil, "scheme"},
		{"no host", "ws:///client", nil, "no host"},
		{"bad protocol", "ws://127.0.0.1/client/hubs/h", &Options{Protocol: "protobuf.webpubsub.azure.v1"}, "unsupported protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.url, tt.opts)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%q) = %v, want ErrInvalidArgument mentioning %q", tt.url, err, tt.want)
			}
		})
	}
	if _, err := NewWithURLFunc(nil, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewWithURLFunc(nil) = %v, want ErrInvalidArgument", err)
	}
}

func TestOperationsBeforeStart(t *testing.T) {
	c, err := New("ws://127.0.0.1:1/client/hubs/h", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.JoinGroup(ctx, "g", nil); !errors.Is(err, ErrNotStarted) {
		t.Errorf("JoinGroup before Start = %v, want ErrNotStarted", err)
	}
	if _, err := c.SendToGroup(ctx, "g", Text("x"), &SendToGroupOptions{FireAndForget: true}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("SendToGroup before Start = %v, want ErrNotStarted", err)
	}
	if _, err := c.SendEvent(ctx, "", Text("x"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("SendEvent(empty) = %v, want ErrInvalidArgument", err)
	}
	if _, err := c.LeaveGroup(ctx, strings.Repeat("g", 1025), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("LeaveGroup(long) = %v, want ErrInvalidArgument", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop before Start = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("OnConnected(nil) did not panic")
		}
	}()
	c.OnConnected(nil)
}

func TestStartUnreachable(t *testing.T) {
	c, err := New("ws://127.0.0.1:1/client/hubs/h", &Options{HandshakeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Start(t.Context())
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("Start(unreachable) = %v, want *DialError", err)
	}
	if _, err := c.JoinGroup(t.Context(), "g", nil); !errors.Is(err, ErrNotStarted) {
		t.Errorf("JoinGroup after failed Start = %v, want ErrNotStarted", err)
	}
}

func TestEventQueueWaitRoom(t *testing.T) {
	tests := []struct {
		name   string
		fill   int
		wakeBy func(q *eventQueue, acks *ackManager, done chan struct{})
	}{
		{"room left", 1, func(*eventQueue, *ackManager, chan struct{}) {}},
		{"request waits for an ack", 2, func(_ *eventQueue, acks *ackManager, _ chan struct{}) { acks.register(0) }},
		{"dispatcher took the events", 2, func(q *eventQueue, _ *ackManager, _ chan struct{}) {
			q.close(nil)
			q.run(context.Background(), &handlers{})
		}},
		{"session ended", 2, func(_ *eventQueue, _ *ackManager, done chan struct{}) { close(done) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, acks, done := newEventQueue(2), newAckManager(), make(chan struct{})
			for i := range tt.fill {
				q.push(i)
			}
			returned := make(chan struct{})
			go func() {
				q.waitRoom(acks, done)
				close(returned)
			}()
			tt.wakeBy(q, acks, done)
			<-returned // a missing wake-up hangs here (and the test times out)
		})
	}
}
