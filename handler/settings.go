package handler

import (
	"maps"
	"slices"
	"strings"

	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

// EventHandler derives the service's event-handler setting for this hub from the
// registered funcs, so the service sends exactly the events the hub handles:
// UserEventPattern is "*" with [Hub.HandleAnyEvent], else the sorted registered names
// ("" when none); SystemEvents lists connect, connected and disconnected when their funcs
// are registered; GroupPresenceEvents lists joined and left likewise. urlTemplate is the
// URL the service calls (it may contain {hub} and {event}). Call it after registering.
func (h *Hub) EventHandler(urlTemplate string) service.EventHandler {
	eh := service.EventHandler{URLTemplate: urlTemplate}
	if h.anyEvent != nil {
		eh.UserEventPattern = "*"
	} else if len(h.events) > 0 {
		eh.UserEventPattern = strings.Join(slices.Sorted(maps.Keys(h.events)), ",")
	}
	if h.connect != nil {
		eh.SystemEvents = append(eh.SystemEvents, wire.EventConnect)
	}
	if h.connected != nil {
		eh.SystemEvents = append(eh.SystemEvents, wire.EventConnected)
	}
	if h.disconnected != nil {
		eh.SystemEvents = append(eh.SystemEvents, wire.EventDisconnected)
	}
	if h.joined != nil {
		eh.GroupPresenceEvents = append(eh.GroupPresenceEvents, wire.EventJoined)
	}
	if h.left != nil {
		eh.GroupPresenceEvents = append(eh.GroupPresenceEvents, wire.EventLeft)
	}
	return eh
}
