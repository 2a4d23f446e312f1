package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

// codeStatus is one row of the error table: the only place where an application error
// code becomes an HTTP status (xAPI 1.0.3 Communication 3.2).
type codeStatus struct {
	code   capture.Code
	status int
}

// errorTable returns the application error codes with their HTTP statuses.
func errorTable() []codeStatus {
	return []codeStatus{
		{capture.CodeInvalid, http.StatusBadRequest},
		{capture.CodeUnauthorized, http.StatusUnauthorized},
		{capture.CodeForbidden, http.StatusForbidden},
		{capture.CodeNotFound, http.StatusNotFound},
		{capture.CodeConflict, http.StatusConflict},
		{capture.CodePreconditionFailed, http.StatusPreconditionFailed},
		{capture.CodeTooLarge, http.StatusRequestEntityTooLarge},
		{capture.CodeUnsupportedMedia, http.StatusUnsupportedMediaType},
		{capture.CodeTooManyRequests, http.StatusTooManyRequests},
		{capture.CodeUnavailable, http.StatusServiceUnavailable},
		{capture.CodeInternal, http.StatusInternalServerError},
	}
}

// statusOf returns the HTTP status of an application error code; 500 for a code the
// table does not know.
func statusOf(code capture.Code) int {
	for _, row := range errorTable() {
		if row.code == code {
			return row.status
		}
	}
	return http.StatusInternalServerError
}

// codeOfStatus returns the application error code that the table maps to status, or a
// name derived from the status text for statuses only the HTTP layer produces (405).
func codeOfStatus(status int) capture.Code {
	for _, row := range errorTable() {
		if row.status == status {
			return row.code
		}
	}
	if status == http.StatusMethodNotAllowed {
		return "method_not_allowed"
	}
	if status >= 500 {
		return capture.CodeInternal
	}
	return capture.CodeInvalid
}

// errorBody is the JSON error answer: {"error": {"code": "...", "message": "..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    capture.Code `json:"code"`
	Message string       `json:"message"`
}

// classify turns any error a handler or the HTTP server returns into a status, a code and
// a message that is safe to show. Only *capture.Error messages and the messages written
// here reach the client; other error texts are logged, never shown.
func (s *server) classify(c *fiber.Ctx, err error) (int, capture.Code, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status := fe.Code
		msg := fe.Message
		switch status {
		case http.StatusNotFound:
			msg = fmt.Sprintf("no resource at %s", c.Path())
		case http.StatusRequestEntityTooLarge:
			msg = fmt.Sprintf("the request body is larger than the limit of %d bytes", s.bodyLimit)
		case http.StatusRequestHeaderFieldsTooLarge:
			msg = "the request headers are too large"
			status = http.StatusBadRequest
		case http.StatusRequestTimeout:
			msg = "the request took too long to arrive"
		}
		if status >= 500 {
			msg = "internal error"
		}
		return status, codeOfStatus(status), msg
	}
	code := capture.ErrorCode(err)
	return statusOf(code), code, capture.ErrorMessage(err)
}

// handleError is the application's one error handler: it answers every error with the
// mapped status and a JSON error body, keeps the xAPI and CORS headers, adds the Basic
// challenge to 401 answers and logs server-side failures with their cause.
func (s *server) handleError(c *fiber.Ctx, err error) error {
	status, code, msg := s.classify(c, err)
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(c.UserContext(), level, "request failed",
		"method", c.Method(), "path", c.Path(), "status", status, "code", string(code), "err", err.Error())

	s.setCommonHeaders(c)
	if status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="Cairn xAPI"`)
	}
	c.Response().Header.Del(fiber.HeaderETag)
	c.Response().Header.Del(fiber.HeaderLastModified)
	body, mErr := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: msg}})
	if mErr != nil {
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	c.Set(fiber.HeaderContentType, jsonContentType)
	return c.Status(status).Send(body)
}

// StatusOf returns the HTTP status of an application error code (the one table);
// other HTTP surfaces such as the hub pages use it to answer errors the same way.
func StatusOf(code capture.Code) int { return statusOf(code) }
