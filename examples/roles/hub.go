package main

import (
	"context"
	"log/slog"

	"github.com/webpubsub-go/webpubsub/handler"
)

// appTokenParam is the query parameter of the connection URL that carries the app token.
const appTokenParam = "app_token"

// newHub returns the hub whose connect func grants roles from the app token.
func newHub(name, connectionString string, tokens *appTokens, log *slog.Logger) (*handler.Hub, error) {
	hub, err := handler.NewHub(name, &handler.Options{ConnectionStrings: []string{connectionString}, Logger: log})
	if err != nil {
		return nil, err
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		claims, err := tokens.verify(req.Query.Get(appTokenParam))
		if err != nil {
			// 401 with the reason: the service refuses the WebSocket handshake with it.
			return nil, handler.Unauthorized(err.Error())
		}
		return &handler.ConnectResponse{UserID: claims.Subject, Roles: claims.roles()}, nil
	})
	return hub, nil
}
