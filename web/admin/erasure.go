package admin

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
)

// erasureForm is the erasure form as submitted: one agent per line (an email address
// or agent JSON), who asked, and why.
type erasureForm struct {
	Agents, By, Reason string
}

func readErasureForm(ctx *fiber.Ctx) erasureForm {
	return erasureForm{
		Agents: strings.Clone(ctx.FormValue("agents")),
		By:     strings.Clone(ctx.FormValue("by")),
		Reason: strings.Clone(ctx.FormValue("reason")),
	}
}

// request turns the form into an erasure request: each non-empty line is agent JSON
// when it starts with "{", else an email address.
func (f erasureForm) request() erasure.Request {
	r := erasure.Request{RequestedBy: f.By, Reason: f.Reason}
	for _, line := range strings.Split(f.Agents, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "{"):
			r.Agents = append(r.Agents, json.RawMessage(line))
		default:
			b, _ := json.Marshal(map[string]string{"mbox": "mailto:" + strings.TrimPrefix(line, "mailto:")})
			r.Agents = append(r.Agents, b)
		}
	}
	return r
}

// erasuresListed is how many audit records the page lists.
const erasuresListed = 100

func (c *console) erasurePage(ctx *fiber.Ctx, data map[string]any) error {
	list, err := c.cfg.Eraser.Erasures(ctx.UserContext(), erasuresListed)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Erasures"] = list
	if _, ok := data["Form"]; !ok {
		data["Form"] = erasureForm{}
	}
	return c.page(ctx, "erasure", "Erase a person", data)
}

func (c *console) erasureGet(ctx *fiber.Ctx) error { return c.erasurePage(ctx, nil) }

// erase runs in two steps: without confirm=yes it checks the form and shows what
// would be erased with a confirmation form; with it, it erases and shows the record.
func (c *console) erase(ctx *fiber.Ctx) error {
	form := readErasureForm(ctx)
	req := form.request()
	data := map[string]any{"Form": form}
	if ctx.FormValue("confirm") != "yes" {
		person, found, err := c.cfg.Eraser.Preview(ctx.UserContext(), req)
		if capture.ErrorCode(err) == capture.CodeInvalid {
			data["Error"] = capture.ErrorMessage(err)
			return c.erasurePage(ctx.Status(fiber.StatusBadRequest), data)
		}
		if err != nil {
			return err
		}
		data["Confirm"] = map[string]any{"Identifiers": person.AgentKeys, "Statements": found}
		return c.erasurePage(ctx, data)
	}
	rec, err := c.cfg.Eraser.Erase(ctx.UserContext(), req)
	if capture.ErrorCode(err) == capture.CodeInvalid {
		data["Error"] = capture.ErrorMessage(err)
		return c.erasurePage(ctx.Status(fiber.StatusBadRequest), data)
	}
	if rec.ID == "" {
		return err
	}
	c.log.Info("erasure from the console", "erasure", rec.ID, "requested_by", rec.RequestedBy)
	data = map[string]any{"Done": rec}
	if err != nil {
		data["Error"] = fmt.Sprintf("The erasure is incomplete: %s", capture.ErrorMessage(err))
		return c.erasurePage(ctx.Status(fiber.StatusInternalServerError), data)
	}
	return c.erasurePage(ctx.Status(fiber.StatusCreated), data)
}
