package web

import (
	"encoding/json"
	"net/http"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

// aboutVersionExtension is the /about extension key whose value is Cairn's version.
const aboutVersionExtension = "https://github.com/cairn-lrs/cairn/xapi/extensions/version"

// getAbout serves GET /about (xAPI 1.0.3 Communication 2.8): the xAPI versions this LRS
// accepts and, as an extension, Cairn's version. It needs no credentials and no version
// header.
func (s *server) getAbout(c *fiber.Ctx, r *xapiRequest) error {
	extensions := map[string]any{}
	if s.cfg.Version != "" {
		extensions[aboutVersionExtension] = s.cfg.Version
	}
	return sendJSON(c, http.StatusOK, map[string]any{
		"version":    []string{"1.0.0", "1.0.1", "1.0.2", xapiVersion},
		"extensions": extensions,
	})
}

// getActivity serves GET /activities?activityId= (xAPI 1.0.3 Communication 2.5): the
// canonical Activity object, or for an activity without a known definition an Activity
// object holding only its id (Communication 2.5.s2.b1).
func (s *server) getActivity(c *fiber.Ctx, r *xapiRequest) error {
	if err := r.allowParams("activityId"); err != nil {
		return err
	}
	id := r.params.Get("activityId")
	if id == "" {
		return capture.Errorf(capture.CodeInvalid, "parameter activityId: required")
	}
	if !isIRI(id) {
		return capture.Errorf(capture.CodeInvalid, "parameter activityId: %q is not an IRI", id)
	}
	activity, err := s.cfg.Statements.Activity(c.UserContext(), id)
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return sendJSON(c, http.StatusOK, map[string]any{"objectType": "Activity", "id": id})
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, jsonContentType)
	return c.Status(http.StatusOK).Send(activity)
}

// getAgent serves GET /agents?agent= (xAPI 1.0.3 Communication 2.4): the Person object
// of the agent. Cairn keeps no directory of people, so the Person holds what the agent
// parameter gives (Communication 2.4.s3.b3): its name and identifier, each in an array.
func (s *server) getAgent(c *fiber.Ctx, r *xapiRequest) error {
	if err := r.allowParams("agent"); err != nil {
		return err
	}
	raw := r.params.Get("agent")
	if raw == "" {
		return capture.Errorf(capture.CodeInvalid, "parameter agent: required")
	}
	agent, _, err := capture.ParseAgentJSON(raw)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, personOf(agent))
}

// personOf builds a Person object (xAPI 1.0.3 Communication 2.4.s5) from one agent.
func personOf(agent map[string]any) map[string]any {
	person := map[string]any{"objectType": "Person"}
	if name, ok := agent["name"].(string); ok {
		person["name"] = []string{name}
	}
	for _, ifi := range []string{"mbox", "mbox_sha1sum", "openid"} {
		if v, ok := agent[ifi].(string); ok {
			person[ifi] = []string{v}
		}
	}
	if account, ok := agent["account"].(map[string]any); ok {
		person["account"] = []any{account}
	}
	return person
}

// sendJSON answers with v encoded as JSON.
func sendJSON(c *fiber.Ctx, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return capture.Internal(err, "cannot encode the response")
	}
	c.Set(fiber.HeaderContentType, jsonContentType)
	return c.Status(status).Send(body)
}
