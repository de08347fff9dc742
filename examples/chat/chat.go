package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/service"
)

// Limits of the chat.
const (
	maxTextLen  = 1000    // characters of one chat message
	defaultRoom = "lobby" // room when the page names none
	maxRoster   = 200     // connections listed for a room's presence list
)

// validName is the shape of user names and room names.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// checkName returns an error naming what is wrong with a user or room name.
func checkName(what, v string) error {
	if v == "" {
		return fmt.Errorf("the %s is missing", what)
	}
	if !validName.MatchString(v) {
		return fmt.Errorf("the %s %q is not 1-32 letters, digits, '-' or '_'", what, v)
	}
	return nil
}

// Keys of the per-connection state (ce-connectionState): the current room and the number of
// messages the connection sent. The service stores the state; the app keeps nothing.
const (
	stateRoom  = "room"
	stateCount = "count"
)

// What the app sends to the page (JSON). Group messages carry room so a page that just switched
// rooms can drop late messages of the old one.
type (
	chatMessage struct {
		Kind string    `json:"kind"` // "message"
		From string    `json:"from"`
		Room string    `json:"room"`
		Text string    `json:"text"`
		Time time.Time `json:"time"`
	}
	systemMessage struct {
		Kind     string    `json:"kind"` // "system"
		Room     string    `json:"room"`
		Text     string    `json:"text"`
		User     string    `json:"user,omitempty"`     // whose presence changed
		Presence string    `json:"presence,omitempty"` // "joined" or "left"
		Time     time.Time `json:"time"`
	}
	// rosterMessage lists who is in a room, for the presence list of a newcomer.
	rosterMessage struct {
		Kind  string   `json:"kind"` // "roster"
		Room  string   `json:"room"`
		Users []string `json:"users"`
	}
	typingMessage struct {
		Kind string `json:"kind"` // "typing"
		From string `json:"from"`
		Room string `json:"room"`
	}
	// reply answers the sender of an event: "sent" (with Count), "joined" (with Room and
	// Users, the room's presence list) or "error" (with Message).
	reply struct {
		Kind    string   `json:"kind"`
		Count   int      `json:"count,omitempty"`
		Room    string   `json:"room,omitempty"`
		Users   []string `json:"users,omitempty"`
		Message string   `json:"message,omitempty"`
	}
)

// What the page sends as user events (JSON).
type (
	messageEvent struct {
		Text string `json:"text"`
	}
	typingEvent struct{}
	joinEvent   struct {
		Room string `json:"room"`
	}
)

// chat holds the app's side of the chat: the hub's funcs and what they need.
type chat struct {
	banned     []string // user names refused at connect (lower case)
	rejections *rejections
	now        func() time.Time
	log        *slog.Logger
}

// newHub returns the "chat" hub with the chat's funcs registered. connectionString gives the
// keys that verify the service's signatures and the bundled service client.
func (c *chat) newHub(name, connectionString string) (*handler.Hub, error) {
	hub, err := handler.NewHub(name, &handler.Options{
		ConnectionStrings: []string{connectionString},
		Logger:            c.log,
	})
	if err != nil {
		return nil, err
	}
	hub.HandleConnect(c.connect)
	hub.OnConnected(c.connected)
	handler.HandleJSON(hub, "message", c.message)
	handler.HandleJSON(hub, "typing", c.typing)
	handler.HandleJSON(hub, "join", c.join)
	hub.OnDisconnected(c.disconnected)
	return hub, nil
}

// connect accepts a connection: the user id comes from the access token the negotiate
// endpoint issued for the signed-in name, the room from the connection URL. Banned names are
// refused here, so a ban also stops tokens issued before it.
func (c *chat) connect(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
	user := req.UserID
	attempt := req.Query.Get("attempt")
	if user == "" {
		return nil, c.reject(attempt, handler.Unauthorized("sign in first: the access token names no user"))
	}
	if slices.Contains(c.banned, strings.ToLower(user)) {
		return nil, c.reject(attempt, handler.Unauthorized(fmt.Sprintf("the name %q is banned from this chat", user)))
	}
	room := req.Query.Get("room")
	if room == "" {
		room = defaultRoom
	}
	if err := checkName("room", room); err != nil {
		return nil, c.reject(attempt, handler.BadRequest(err.Error()))
	}
	if err := errors.Join(req.State.Set(stateRoom, room), req.State.Set(stateCount, 0)); err != nil {
		return nil, err
	}
	return &handler.ConnectResponse{UserID: user, Groups: []string{room}}, nil
}

// reject remembers why an attempt was refused, for the page, and returns err.
func (c *chat) reject(attempt string, err *handler.Error) error {
	c.rejections.put(attempt, err.Reason)
	return err
}

// connected announces the newcomer to the room and sends it the room's presence list.
func (c *chat) connected(ctx context.Context, ev *handler.ConnectedEvent) error {
	room, err := handler.StateAs[string](&ev.State, stateRoom)
	if err != nil {
		return err
	}
	client := ev.Client()
	if err := c.presence(ctx, client, room, ev.UserID, "joined", ev.UserID+" joined"); err != nil {
		return err
	}
	users, err := roster(ctx, client, room)
	if err != nil {
		return err
	}
	_, err = client.SendToConnection(ctx, ev.ConnectionID, service.JSON(rosterMessage{Kind: "roster", Room: room, Users: users}), nil)
	return err
}

// roster lists the distinct user ids in a room, sorted, from the service's group membership
// (so it is right whichever replica answers), at most maxRoster connections.
func roster(ctx context.Context, client *service.Client, room string) ([]string, error) {
	pager := client.ListConnectionsInGroup(room, &service.ListConnectionsInGroupOptions{Top: maxRoster})
	var users []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Value {
			if m.UserID != "" {
				users = append(users, m.UserID)
			}
		}
	}
	slices.Sort(users)
	return slices.Compact(users), nil
}

// message broadcasts a chat message to the sender's room with the sender's name and answers
// the sender with its message count.
func (c *chat) message(ctx context.Context, ev *handler.UserEvent, in messageEvent) (*handler.EventResponse, error) {
	text := strings.TrimSpace(in.Text)
	if text == "" || len([]rune(text)) > maxTextLen {
		return handler.JSONResponse(reply{Kind: "error", Message: fmt.Sprintf("a message has 1 to %d characters", maxTextLen)})
	}
	room, err := handler.StateAs[string](&ev.State, stateRoom)
	if err != nil {
		return nil, err
	}
	count, _ := handler.StateAs[int](&ev.State, stateCount) // 0 when absent
	count++
	if err := ev.State.Set(stateCount, count); err != nil {
		return nil, err
	}
	msg := chatMessage{Kind: "message", From: ev.UserID, Room: room, Text: text, Time: c.now().UTC()}
	if _, err := ev.Client().SendToGroup(ctx, room, service.JSON(msg), nil); err != nil {
		return nil, err
	}
	return handler.JSONResponse(reply{Kind: "sent", Count: count})
}

// typing tells the others in the room that the sender is typing.
func (c *chat) typing(ctx context.Context, ev *handler.UserEvent, _ typingEvent) (*handler.EventResponse, error) {
	room, err := handler.StateAs[string](&ev.State, stateRoom)
	if err != nil {
		return nil, err
	}
	msg := typingMessage{Kind: "typing", From: ev.UserID, Room: room}
	_, err = ev.Client().SendToGroup(ctx, room, service.JSON(msg), &service.SendToGroupOptions{Excluded: []string{ev.ConnectionID}})
	return nil, err
}

// join moves the connection to another room: it leaves the old group, joins the new one,
// announces both and records the room in the connection state.
func (c *chat) join(ctx context.Context, ev *handler.UserEvent, in joinEvent) (*handler.EventResponse, error) {
	if err := checkName("room", in.Room); err != nil {
		return handler.JSONResponse(reply{Kind: "error", Message: err.Error()})
	}
	old, err := handler.StateAs[string](&ev.State, stateRoom)
	if err != nil {
		return nil, err
	}
	if old == in.Room {
		users, err := roster(ctx, ev.Client(), in.Room)
		if err != nil {
			return nil, err
		}
		return handler.JSONResponse(reply{Kind: "joined", Room: in.Room, Users: users})
	}
	client := ev.Client()
	if _, err := client.RemoveConnectionFromGroup(ctx, old, ev.ConnectionID, nil); err != nil {
		return nil, err
	}
	if err := c.presence(ctx, client, old, ev.UserID, "left", ev.UserID+" left for #"+in.Room); err != nil {
		return nil, err
	}
	if _, err := client.AddConnectionToGroup(ctx, in.Room, ev.ConnectionID, nil); err != nil {
		return nil, err
	}
	if err := ev.State.Set(stateRoom, in.Room); err != nil {
		return nil, err
	}
	if err := c.presence(ctx, client, in.Room, ev.UserID, "joined", ev.UserID+" joined"); err != nil {
		return nil, err
	}
	users, err := roster(ctx, client, in.Room)
	if err != nil {
		return nil, err
	}
	return handler.JSONResponse(reply{Kind: "joined", Room: in.Room, Users: users})
}

// disconnected tells the room that the user left.
func (c *chat) disconnected(ctx context.Context, ev *handler.DisconnectedEvent) error {
	room, err := handler.StateAs[string](&ev.State, stateRoom)
	if err != nil {
		return err
	}
	return c.presence(ctx, ev.Client(), room, ev.UserID, "left", ev.UserID+" left")
}

// presence sends a system line about user arriving ("joined") or leaving ("left") to a room.
// A user who leaves but is still in the room with another connection (a second tab) is not
// reported as gone from the presence list.
func (c *chat) presence(ctx context.Context, client *service.Client, room, user, what, text string) error {
	if what == "left" {
		users, err := roster(ctx, client, room)
		if err != nil {
			return err
		}
		if slices.Contains(users, user) {
			what = ""
		}
	}
	msg := systemMessage{Kind: "system", Room: room, Text: text, User: user, Presence: what, Time: c.now().UTC()}
	_, err := client.SendToGroup(ctx, room, service.JSON(msg), nil)
	return err
}
