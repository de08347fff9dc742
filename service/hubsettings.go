package service

import (
	"net/url"
	"slices"
	"strings"
)

// System and group-presence event names used in [EventHandler] settings.
const (
	EventConnect      = "connect"
	EventConnected    = "connected"
	EventDisconnected = "disconnected"
	EventJoined       = "joined"
	EventLeft         = "left"
)

// HubSettings are a hub's settings as code: the same data as the ARM hub resource (event
// handlers and the anonymous connect policy). The emulator reads them; handlers derive
// them; [HubSettings.AzCLICommand] renders the command that applies them to a real
// resource. The zero value is a hub without event handlers that denies anonymous clients.
type HubSettings struct {
	// Hub is the hub name.
	Hub string
	// EventHandlers are evaluated in order; for each event the first match wins.
	EventHandlers []EventHandler
	// AllowAnonymous allows clients to connect without an access token (ARM
	// anonymousConnectPolicy "allow"; az: --allow-anonymous). Default false (deny).
	AllowAnonymous bool
}

// EventHandler is one upstream event-handler setting of a hub.
type EventHandler struct {
	// URLTemplate is the upstream URL; it may contain {hub} and {event}.
	URLTemplate string
	// UserEventPattern selects user events: "*" for all, a comma-separated list such as
	// "a,b", a single name such as "message", or "" for none.
	UserEventPattern string
	// SystemEvents is a subset of "connect", "connected", "disconnected".
	SystemEvents []string
	// GroupPresenceEvents is a subset of "joined", "left".
	GroupPresenceEvents []string
}

// WantsUserEvent reports whether the handler receives the user event name.
func (h EventHandler) WantsUserEvent(name string) bool {
	p := strings.TrimSpace(h.UserEventPattern)
	if p == "" || name == "" {
		return false
	}
	for part := range strings.SplitSeq(p, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || part == name {
			return true
		}
	}
	return false
}

// WantsSystemEvent reports whether the handler receives the system event name
// ("connect", "connected", "disconnected") or group presence event name ("joined", "left").
// Names compare case-insensitively.
func (h EventHandler) WantsSystemEvent(name string) bool {
	match := func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), name) }
	switch strings.ToLower(name) {
	case EventConnect, EventConnected, EventDisconnected:
		return slices.ContainsFunc(h.SystemEvents, match)
	case EventJoined, EventLeft:
		return slices.ContainsFunc(h.GroupPresenceEvents, match)
	}
	return false
}

// ExpandURL returns URLTemplate with {hub} and {event} replaced by the path-escaped hub and
// event names.
func (h EventHandler) ExpandURL(hub, event string) string {
	return strings.NewReplacer("{hub}", url.PathEscape(hub), "{event}", url.PathEscape(event)).Replace(h.URLTemplate)
}

// AzCLICommand renders the Azure CLI command that creates these hub settings on a real
// resource, e.g.
//
//	az webpubsub hub create -n myres -g mygroup --hub-name chat --event-handler url-template="https://app.example/api/{event}" user-event-pattern="*" system-event="connect" --allow-anonymous false
//
// Use "az webpubsub hub update" with the same arguments for an existing hub. The az CLI
// has no argument for group presence events: handlers that want "joined"/"left" get a
// trailing shell comment saying so (set them in the portal or with an ARM/Bicep template).
// Values are double-quoted with shell escaping.
func (s HubSettings) AzCLICommand(resourceGroup, resourceName string) string {
	var b strings.Builder
	b.WriteString("az webpubsub hub create -n " + shellWord(resourceName) + " -g " + shellWord(resourceGroup) + " --hub-name " + shellWord(s.Hub))
	var presence []string
	for _, h := range s.EventHandlers {
		b.WriteString(" --event-handler url-template=" + shellQuote(h.URLTemplate))
		if p := strings.TrimSpace(h.UserEventPattern); p != "" {
			b.WriteString(" user-event-pattern=" + shellQuote(p))
		}
		for _, e := range h.SystemEvents {
			b.WriteString(" system-event=" + shellQuote(e))
		}
		if len(h.GroupPresenceEvents) > 0 {
			presence = append(presence, h.URLTemplate+": "+strings.Join(h.GroupPresenceEvents, ","))
		}
	}
	if s.AllowAnonymous {
		b.WriteString(" --allow-anonymous true")
	} else {
		b.WriteString(" --allow-anonymous false")
	}
	if len(presence) > 0 {
		b.WriteString(" # group presence events need the portal or ARM: " + strings.ReplaceAll(strings.Join(presence, "; "), "\n", " "))
	}
	return b.String()
}

// shellQuote double-quotes s for POSIX shells, escaping \ " $ and `.
func shellQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(s) + `"`
}

// shellWord returns s as is when it is a non-empty plain word, else shellQuote(s).
func shellWord(s string) string {
	if s == "" {
		return shellQuote(s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return shellQuote(s)
		}
	}
	return s
}
