// Package hubctx connects the Echo middleware to handler.Hub without widening the
// handler's exported API: the middleware serves a request through a hub together with a
// value (the echo.Context) that the funcs' context carries, without copying the
// *http.Request to attach it (a request copy and a context allocation per event).
package hubctx

import "net/http"

// Key is the context key under which the funcs' context carries the value given to
// [Serve].
type Key struct{}

// Serve serves r through hub, which must be a *handler.Hub, and makes val reachable
// from the context every func of the request receives, as ctx.Value(Key{}). Package
// handler sets it when it is initialised, so it is set whenever a *handler.Hub exists.
var Serve func(hub any, w http.ResponseWriter, r *http.Request, val any)
