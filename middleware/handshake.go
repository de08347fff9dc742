package middleware

import (
	"github.com/labstack/echo/v4"
)

// handshakeAny answers an abuse-protection OPTIONS request that carries no ce-hub header on
// a path several hubs share. The hubs' allowed origins may differ, so the first hub whose
// [handler.Hub.CheckOrigin] accepts the origin answers; when none does, the last hub answers
// with its refusal, which names the reason.
func (m *mux) handshakeAny(c echo.Context) error {
	hub := m.hubs[len(m.hubs)-1]
	for _, h := range m.hubs {
		if _, err := h.CheckOrigin(c.Request()); err == nil {
			hub = h
			break
		}
	}
	serveHub(c, hub)
	return nil
}
