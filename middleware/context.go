package middleware

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/internal/hubctx"
)

// EchoContext returns the echo.Context of the request a hub func is serving, when the hub
// was reached through this package's middleware; ok is false otherwise (for example when
// the hub is mounted on plain net/http). Pass it the ctx the func received.
//
// Echo reuses an echo.Context once the request ends: use it only while the func runs, never
// from a goroutine that outlives the request.
func EchoContext(ctx context.Context) (c echo.Context, ok bool) {
	c, ok = ctx.Value(hubctx.Key{}).(echo.Context)
	return c, ok
}
