// Package middleware mounts Web PubSub hubs ([handler.Hub]) on an Echo v4 app or group.
//
// The Azure Web PubSub service calls the app's upstream webhook with CloudEvents requests
// (connect, user events, connected, disconnected, group joined/left) and an OPTIONS
// abuse-protection handshake. [WebPubSub] returns an echo.MiddlewareFunc that hands those
// requests to the right hub and lets every other request through:
//
//	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{cs}})
//	// register funcs on hub …
//	e := echo.New()
//	e.Use(middleware.WebPubSub(hub)) // POST/OPTIONS /api/webpubsub/hubs/chat/…
//
// # Which requests the middleware takes
//
// A request is a Web PubSub call when it carries a ce-awpsversion or a
// WebHook-Request-Origin header; the service sends both on every call. The middleware takes
// a request when the [Config.Skipper] does not skip it, its path matches [Config.Path] and
// it is a Web PubSub call. Everything else goes to the next handler untouched, so the
// middleware can sit in front of the whole app.
//
// # Paths and hubs
//
// [Config.Path] defaults to [DefaultPath], "/api/webpubsub/hubs/{hub}/", the default of the
// official JavaScript handler, matched the same way: ignoring case and as a prefix, segment
// by segment, so the service's URL template "https://<app>/api/webpubsub/hubs/chat/{event}"
// reaches hub "chat" for every event. "{hub}" in the path picks the hub; without it all hubs
// share the path and the ce-hub header picks. "{event}" stands for the event segment of
// templates such as "https://<app>/eventhandler/{event}". [Config.URLTemplate] returns the
// template to configure on the service.
//
// A Web PubSub call that names a hub the middleware does not serve is refused with an
// *echo.HTTPError (404, with the reason in its message) and a Warn line in [Config.Logger],
// rather than falling through to a confusing 404 or 405 of the app's router.
//
// # Reaching Echo from a hub func
//
// Hub funcs receive a context.Context, not an echo.Context (the handler package does not
// know Echo). [EchoContext] returns the echo.Context of the request being served, for
// request-scoped values set by other Echo middleware.
//
// # Without Echo
//
// A [handler.Hub] is an http.Handler that ignores the URL path, so on plain net/http no
// middleware is needed: http.Handle("/api/webpubsub/hubs/chat/", hub).
package middleware
