package service

import "testing"

func TestEventHandlerWants(t *testing.T) {
	h := EventHandler{UserEventPattern: "chat, typing", SystemEvents: []string{"connect", "Disconnected"}, GroupPresenceEvents: []string{"joined"}}
	all := EventHandler{UserEventPattern: "*"}
	none := EventHandler{}
	tests := []struct {
		name string
		h    EventHandler
		kind string // "user" or "system"
		ev   string
		want bool
	}{
		{"list match", h, "user", "chat", true},
		{"list match after space", h, "user", "typing", true},
		{"list miss", h, "user", "message", false},
		{"star", all, "user", "anything", true},
		{"empty pattern", none, "user", "message", false},
		{"empty event name", all, "user", "", false},
		{"system", h, "system", "connect", true},
		{"system case", h, "system", "disconnected", true},
		{"system miss", h, "system", "connected", false},
		{"presence", h, "system", "joined", true},
		{"presence miss", h, "system", "left", false},
		{"presence not in system list", EventHandler{SystemEvents: []string{"joined"}}, "system", "joined", false},
		{"unknown system event", h, "system", "message", false},
		{"star pattern does not cover system", all, "system", "connect", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got bool
			if tc.kind == "user" {
				got = tc.h.WantsUserEvent(tc.ev)
			} else {
				got = tc.h.WantsSystemEvent(tc.ev)
			}
			if got != tc.want {
				t.Errorf("Wants(%s %q) = %v, want %v", tc.kind, tc.ev, got, tc.want)
			}
		})
	}
}

func TestExpandURL(t *testing.T) {
	tests := []struct{ tmpl, hub, event, want string }{
		{"http://127.0.0.1:8080/api/webpubsub/hubs/{hub}/", "chat", "connect", "http://127.0.0.1:8080/api/webpubsub/hubs/chat/"},
		{"https://a.example/api/{hub}/{event}", "h", "my event", "https://a.example/api/h/my%20event"},
		{"https://a.example/static", "h", "e", "https://a.example/static"},
		{"tunnel:///eventhandler/{event}/{event}", "h", "x", "tunnel:///eventhandler/x/x"},
	}
	for _, tc := range tests {
		if got := (EventHandler{URLTemplate: tc.tmpl}).ExpandURL(tc.hub, tc.event); got != tc.want {
			t.Errorf("ExpandURL(%q, %q, %q) = %q, want %q", tc.tmpl, tc.hub, tc.event, got, tc.want)
		}
	}
}

func TestAzCLICommand(t *testing.T) {
	tests := []struct {
		name    string
		s       HubSettings
		rg, res string
		want    string
	}{
		{name: "two handlers, anonymous",
			s: HubSettings{Hub: "chat", AllowAnonymous: true, EventHandlers: []EventHandler{
				{URLTemplate: "https://app.example/api/{event}", UserEventPattern: "*", SystemEvents: []string{"connect", "connected"}},
				{URLTemplate: "https://other.example/x", SystemEvents: []string{"disconnected"}},
			}},
			rg: "my-rg", res: "my-wps",
			want: `az webpubsub hub create -n my-wps -g my-rg --hub-name chat --event-handler url-template="https://app.example/api/{event}" user-event-pattern="*" system-event="connect" system-event="connected" --event-handler url-template="https://other.example/x" system-event="disconnected" --allow-anonymous true`},
		{name: "no handlers, quoting",
			s:  HubSettings{Hub: "h"},
			rg: "rg with space", res: `x"$y`,
			want: `az webpubsub hub create -n "x\"\$y" -g "rg with space" --hub-name h --allow-anonymous false`},
		{name: "group presence noted",
			s:  HubSettings{Hub: "h", EventHandlers: []EventHandler{{URLTemplate: "https://a/", UserEventPattern: "a,b", GroupPresenceEvents: []string{"joined", "left"}}}},
			rg: "g", res: "r",
			want: `az webpubsub hub create -n r -g g --hub-name h --event-handler url-template="https://a/" user-event-pattern="a,b" --allow-anonymous false # group presence events need the portal or ARM: https://a/: joined,left`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.AzCLICommand(tc.rg, tc.res); got != tc.want {
				t.Errorf("AzCLICommand =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
