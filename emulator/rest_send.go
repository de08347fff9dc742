package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/webpubsub-go/webpubsub/internal/odata"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// maxMessageTTLSeconds is the largest messageTtlSeconds the service accepts.
const maxMessageTTLSeconds = 300

func (c *restCall) sendToAll() {
	m, f, ok := c.sendArgs(true)
	if !ok {
		return
	}
	c.hub.sendToAll(m, c.query.all("excluded"), f)
	c.ok(http.StatusAccepted)
}

func (c *restCall) sendToGroup() {
	m, f, ok := c.sendArgs(true)
	if !ok {
		return
	}
	c.hub.sendToGroup(c.p.group, m, c.query.all("excluded"), f)
	c.ok(http.StatusAccepted)
}

func (c *restCall) sendToUser() {
	m, f, ok := c.sendArgs(true)
	if !ok {
		return
	}
	c.hub.sendToUser(c.p.user, m, f)
	c.ok(http.StatusAccepted)
}

// sendToConnection answers 202 also for an unknown connection, as the service.
func (c *restCall) sendToConnection() {
	m, _, ok := c.sendArgs(false)
	if !ok {
		return
	}
	c.hub.sendToConnection(c.p.connection, m)
	c.ok(http.StatusAccepted)
}

// sendArgs validates messageTtlSeconds and (when withFilter) filter, then reads the
// message. It writes the error response and returns ok false on failure.
func (c *restCall) sendArgs(withFilter bool) (outMessage, filterFunc, bool) {
	if !c.checkTTL() {
		return outMessage{}, nil, false
	}
	var f filterFunc
	if withFilter {
		var ok bool
		if f, ok = c.queryFilter(); !ok {
			return outMessage{}, nil, false
		}
	}
	m, ok := c.readMessage()
	return m, f, ok
}

// checkTTL validates messageTtlSeconds: an integer from 0 to 300. The emulator accepts it
// but does not expire queued messages (docs/emulator.md).
func (c *restCall) checkTTL() bool {
	v, present := c.query.get("messageTtlSeconds")
	if !present {
		return true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxMessageTTLSeconds {
		c.validationError("messageTtlSeconds", "The field messageTtlSeconds must be between 0 and 300.")
		return false
	}
	return true
}

// queryFilter parses the filter query parameter; an absent or empty filter selects every
// connection.
func (c *restCall) queryFilter() (filterFunc, bool) {
	s, _ := c.query.get("filter")
	f, err := parseFilter(s)
	if err != nil {
		c.validationError("filter", filterMessage(err))
		return nil, false
	}
	return f, true
}

// parseFilter turns an OData filter into a filterFunc; "" is no filter.
func parseFilter(s string) (filterFunc, error) {
	if s == "" {
		return nil, nil
	}
	f, err := odata.Parse(s)
	if err != nil {
		return nil, err
	}
	return func(t target) bool {
		return f.Match(odata.Target{ConnectionID: t.connectionID, UserID: t.userID, Groups: t.groups})
	}, nil
}

// filterMessage is the service's message for an invalid filter.
func filterMessage(err error) string { return err.Error() + " (Parameter 'filter')" }

// readMessage reads a send body: its Content-Type must be text/plain, application/json
// (valid JSON) or application/octet-stream, its size at most Config.MaxMessageSize.
func (c *restCall) readMessage() (outMessage, bool) {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	var dataType string
	switch {
	case err != nil:
	case strings.EqualFold(mt, wire.ContentTypeText):
		dataType = "text"
	case strings.EqualFold(mt, wire.ContentTypeJSON):
		dataType = "json"
	case strings.EqualFold(mt, wire.ContentTypeBinary):
		dataType = "binary"
	}
	if dataType == "" {
		c.serviceError(http.StatusUnsupportedMediaType, "Error.UnsupportedMediaType",
			"Content-Type must be text/plain, application/json or application/octet-stream, got '"+c.r.Header.Get("Content-Type")+"'.", "Content-Type")
		return outMessage{}, false
	}
	data, ok := c.readBody(c.e.cfg.MaxMessageSize)
	if !ok {
		return outMessage{}, false
	}
	if dataType == "json" && !json.Valid(data) {
		c.serviceError(http.StatusBadRequest, "Error.BadRequest", "The message is not valid JSON but its Content-Type is application/json.", "message")
		return outMessage{}, false
	}
	return outMessage{data: data, dataType: dataType}, true
}

// readBody reads the request body up to limit bytes, answering 413 for a larger body
// (checked on Content-Length first, then while reading) and 400 when reading fails.
func (c *restCall) readBody(limit int64) ([]byte, bool) {
	if c.r.ContentLength > limit {
		c.tooLarge(limit)
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.tooLarge(limit)
		} else {
			c.serviceError(http.StatusBadRequest, "Error.BadRequest", "Reading the request body failed.", "Request")
		}
		return nil, false
	}
	return data, true
}

func (c *restCall) tooLarge(limit int64) {
	c.serviceError(http.StatusRequestEntityTooLarge, "Error.PayloadTooLarge",
		"The request body is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes.", "Request")
}
