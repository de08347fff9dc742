//go:build tools

// Package tools pins the modules the project depends on before code imports them.
package tools

import (
	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore"
	_ "github.com/chromedp/chromedp"
	_ "github.com/cloudevents/sdk-go/v2"
	_ "github.com/coder/websocket"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/labstack/echo/v4"
)
