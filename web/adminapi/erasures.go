package adminapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
)

// erasureBody is POST /api/admin/erasures: the person's agents, who asked and why;
// with dryRun it only reports what would be erased.
type erasureBody struct {
	Agents      []json.RawMessage `json:"agents"`
	RequestedBy string            `json:"requestedBy"`
	Reason      string            `json:"reason"`
	DryRun      bool              `json:"dryRun"`
}

func (a *api) eraser() (*erasure.Eraser, error) {
	if a.cfg.Eraser == nil {
		return nil, capture.Errorf(capture.CodeUnavailable, "this store keeps no erasure records")
	}
	return a.cfg.Eraser, nil
}

// listErasures answers the audit records, newest first (limit: 1-1000, default 100).
func (a *api) listErasures(c *fiber.Ctx) error {
	e, err := a.eraser()
	if err != nil {
		return err
	}
	limit := c.QueryInt("limit", 100)
	if limit < 1 || limit > 1000 {
		return capture.Errorf(capture.CodeInvalid, "limit: must be between 1 and 1000")
	}
	list, err := e.Erasures(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, list)
}

// erase erases a person and answers the audit record (201); with dryRun, the
// identifiers and how many statements name them (200). 400 for a bad body; 500 with
// the record's errors when a step failed (a repeat request completes it).
func (a *api) erase(c *fiber.Ctx) error {
	e, err := a.eraser()
	if err != nil {
		return err
	}
	var b erasureBody
	d := json.NewDecoder(bytes.NewReader(c.Body()))
	d.DisallowUnknownFields()
	if err := d.Decode(&b); err != nil {
		return capture.Errorf(capture.CodeInvalid, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	req := erasure.Request{Agents: b.Agents, RequestedBy: b.RequestedBy, Reason: b.Reason}
	if b.DryRun {
		person, n, err := e.Preview(c.UserContext(), req)
		if err != nil {
			return err
		}
		return sendJSON(c, fiber.StatusOK, map[string]any{"identifiers": person.AgentKeys, "statements": n})
	}
	rec, err := e.Erase(c.UserContext(), req)
	if err != nil && rec.ID == "" {
		return err
	}
	if err != nil {
		return sendJSON(c, fiber.StatusInternalServerError, rec)
	}
	return sendJSON(c, fiber.StatusCreated, rec)
}
