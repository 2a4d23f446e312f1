// Package slackroutes mounts the Slack app's endpoints on Cairn's Fiber app:
// POST /integrations/slack/commands, /events and /interactive. Each hands the raw body
// and the signature headers to a Handler, which verifies and answers; errors go to the
// app's one error handler (401 for unsigned, badly signed, stale or replayed requests,
// 400 for payloads that do not parse). Without a Handler the routes answer 404.
package slackroutes

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
)

// Handler answers the three kinds of Slack request. Each method receives the
// X-Slack-Request-Timestamp and X-Slack-Signature headers and the raw body (a copy the
// handler may keep), and returns the reply's content type and body; an empty body is
// answered 200 with no content.
type Handler interface {
	Command(ctx context.Context, timestamp, signature string, body []byte) (string, []byte, error)
	Event(ctx context.Context, timestamp, signature string, body []byte) (string, []byte, error)
	Interaction(ctx context.Context, timestamp, signature string, body []byte) (string, []byte, error)
}

// Base is the path prefix of the Slack routes.
const Base = "/integrations/slack"

// maxBody is the largest Slack request accepted; Slack's payloads are far smaller.
const maxBody = 1 << 20

// Mount adds the Slack routes to app. With h nil (Slack not configured) every route
// answers 404.
func Mount(app *fiber.App, h Handler) {
	type route struct {
		path string
		fn   func(Handler) func(context.Context, string, string, []byte) (string, []byte, error)
	}
	routes := []route{
		{"/commands", func(h Handler) func(context.Context, string, string, []byte) (string, []byte, error) {
			return h.Command
		}},
		{"/events", func(h Handler) func(context.Context, string, string, []byte) (string, []byte, error) { return h.Event }},
		{"/interactive", func(h Handler) func(context.Context, string, string, []byte) (string, []byte, error) {
			return h.Interaction
		}},
	}
	for _, r := range routes {
		if h == nil {
			app.Post(Base+r.path, func(c *fiber.Ctx) error {
				return capture.Errorf(capture.CodeNotFound, "Slack is not configured on this Cairn instance")
			})
			continue
		}
		serve := r.fn(h)
		app.Post(Base+r.path, func(c *fiber.Ctx) error {
			raw := c.Body()
			if len(raw) > maxBody {
				return capture.Errorf(capture.CodeTooLarge, "a Slack request is at most %d bytes", maxBody)
			}
			// Fiber reuses its buffers once the handler returns: the body and headers
			// are copied, since background work keeps them.
			body := append([]byte(nil), raw...)
			ts := strings.Clone(c.Get("X-Slack-Request-Timestamp"))
			sig := strings.Clone(c.Get("X-Slack-Signature"))
			ct, reply, err := serve(c.UserContext(), ts, sig, body)
			if err != nil {
				return err
			}
			if len(reply) == 0 {
				return c.Status(fiber.StatusOK).Send(nil)
			}
			c.Set(fiber.HeaderContentType, ct)
			return c.Status(fiber.StatusOK).Send(reply)
		})
	}
}
