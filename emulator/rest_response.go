package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// Content types of REST responses.
const (
	contentTypeJSONUTF8    = "application/json; charset=utf-8"
	contentTypeProblemJSON = "application/problem+json; charset=utf-8"
)

// serviceErrorBody is the service's error body ("shape A" in the spec): compact JSON with
// details and inner always null.
type serviceErrorBody struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Target  string  `json:"target"`
	Details *[]byte `json:"details"`
	Inner   *[]byte `json:"inner"`
}

// validationErrorBody is the request-validation problem ("shape B"): an ASP.NET validation
// problem with the service's code, message and target added.
type validationErrorBody struct {
	Code       string              `json:"code"`
	Message    string              `json:"message"`
	Target     string              `json:"target"`
	Errors     map[string][]string `json:"errors"`
	Type       *string             `json:"type"`
	Title      string              `json:"title"`
	Status     int                 `json:"status"`
	Detail     *string             `json:"detail"`
	Instance   *string             `json:"instance"`
	Extensions struct{}            `json:"extensions"`
}

// compactJSON marshals v like the service: compact, no HTML escaping, no trailing newline.
func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the body types above always marshal
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// hubHeaders sets the header every hub operation's response carries.
func (c *restCall) hubHeaders() {
	if c.hubName != "" {
		c.w.Header().Set(headerAPISupportedVersions, apiSupportedVersions)
	}
}

// writeStatus answers status with an empty body: Content-Length 0 for 200 and 202, no
// Content-Length for 204, as the service.
func (c *restCall) writeStatus(status int) {
	c.status = status
	if status != http.StatusNoContent && c.r.Method != http.MethodHead {
		c.w.Header().Set("Content-Length", "0")
	}
	c.w.WriteHeader(status)
}

// ok answers a successful hub operation.
func (c *restCall) ok(status int) {
	c.hubHeaders()
	c.writeStatus(status)
}

// writeJSON answers 200 with a JSON body.
func (c *restCall) writeJSON(v any) {
	c.hubHeaders()
	body := compactJSON(v)
	c.w.Header().Set("Content-Type", contentTypeJSONUTF8)
	c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.status = http.StatusOK
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
}

// serviceError answers a shape-A error with x-ms-error-code and api-supported-versions. On
// HEAD the body is not sent, but Content-Type and Content-Length describe it, as the
// service does.
func (c *restCall) serviceError(status int, code, message, target string) {
	c.hubHeaders()
	body := compactJSON(serviceErrorBody{Code: code, Message: message, Target: target})
	h := c.w.Header()
	h.Set(headerErrorCode, code)
	h.Set("Content-Type", contentTypeJSONUTF8)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.status = status
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// validationError answers 400 with a shape-B problem body (application/problem+json, no
// api-supported-versions header), for a bad query parameter or body property target.
func (c *restCall) validationError(target, message string) {
	c.validationErrorAs(contentTypeProblemJSON, target, message)
}

func (c *restCall) validationErrorAs(contentType, target, message string) {
	body := compactJSON(validationErrorBody{
		Code: "Error.BadRequest", Message: message, Target: target,
		Errors: map[string][]string{target: {message}},
		Title:  "One or more validation errors occurred.", Status: http.StatusBadRequest,
	})
	h := c.w.Header()
	h.Set(headerErrorCode, "Error.BadRequest")
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.status = http.StatusBadRequest
	c.w.WriteHeader(http.StatusBadRequest)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// notFound answers a path that names no operation: 404 with an empty body.
func (c *restCall) notFound() { c.writeStatus(http.StatusNotFound) }
