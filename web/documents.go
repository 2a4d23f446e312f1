package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

// docResource describes one of the document resources (xAPI 1.0.3 Communication
// 2.2–2.7): which parameters address a document and which one names it.
type docResource struct {
	kind         capture.DocumentKind
	idParam      string // stateId or profileId
	activity     bool   // activityId is required
	agent        bool   // agent is required
	registration bool   // registration may be given
	deleteAll    bool   // DELETE without idParam removes every document in scope
}

// stateDocs is the State resource (xAPI 1.0.3 Communication 2.3).
func stateDocs() docResource {
	return docResource{kind: capture.KindState, idParam: "stateId", activity: true, agent: true, registration: true, deleteAll: true}
}

// activityProfileDocs is the Activity Profile resource (xAPI 1.0.3 Communication 2.7).
func activityProfileDocs() docResource {
	return docResource{kind: capture.KindActivityProfile, idParam: "profileId", activity: true}
}

// agentProfileDocs is the Agent Profile resource (xAPI 1.0.3 Communication 2.6).
func agentProfileDocs() docResource {
	return docResource{kind: capture.KindAgentProfile, idParam: "profileId", agent: true}
}

// documentMethods returns the handlers of a document resource.
func (s *server) documentMethods(d docResource) map[string]handlerFunc {
	return map[string]handlerFunc{
		fiber.MethodGet: func(c *fiber.Ctx, r *xapiRequest) error { return s.getDocument(c, r, d) },
		fiber.MethodPut: func(c *fiber.Ctx, r *xapiRequest) error { return s.putDocument(c, r, d, false) },
		fiber.MethodPost: func(c *fiber.Ctx, r *xapiRequest) error {
			return s.putDocument(c, r, d, true)
		},
		fiber.MethodDelete: func(c *fiber.Ctx, r *xapiRequest) error { return s.deleteDocument(c, r, d) },
	}
}

// key checks r's parameters against the resource and returns the addressed key; ID is
// empty when the id parameter is absent and idRequired is false. withSince admits the
// since parameter.
func (d docResource) key(r *xapiRequest, idRequired, withSince bool) (capture.DocumentKey, error) {
	allowed := []string{d.idParam}
	if d.activity {
		allowed = append(allowed, "activityId")
	}
	if d.agent {
		allowed = append(allowed, "agent")
	}
	if d.registration {
		allowed = append(allowed, "registration")
	}
	if withSince {
		allowed = append(allowed, "since")
	}
	if err := r.allowParams(allowed...); err != nil {
		return capture.DocumentKey{}, err
	}
	key := capture.DocumentKey{Kind: d.kind}
	if d.activity {
		id, ok := r.params["activityId"]
		if !ok || id[0] == "" {
			return key, capture.Errorf(capture.CodeInvalid, "parameter activityId: required")
		}
		if !isIRI(id[0]) {
			return key, capture.Errorf(capture.CodeInvalid, "parameter activityId: %q is not an IRI", id[0])
		}
		key.ActivityID = id[0]
	}
	if d.agent {
		raw, ok := r.params["agent"]
		if !ok || raw[0] == "" {
			return key, capture.Errorf(capture.CodeInvalid, "parameter agent: required")
		}
		_, agentKey, err := capture.ParseAgentJSON(raw[0])
		if err != nil {
			return key, err
		}
		key.AgentKey = agentKey
	}
	if reg, ok := r.params["registration"]; ok {
		if !isUUID(reg[0]) {
			return key, capture.Errorf(capture.CodeInvalid, "parameter registration: %q is not a UUID", reg[0])
		}
		key.Registration = strings.ToLower(reg[0])
	}
	if id, ok := r.params[d.idParam]; ok {
		if id[0] == "" {
			return key, capture.Errorf(capture.CodeInvalid, "parameter %s: empty", d.idParam)
		}
		key.ID = id[0]
	} else if idRequired {
		return key, capture.Errorf(capture.CodeInvalid, "parameter %s: required", d.idParam)
	}
	return key, nil
}

// getDocument serves GET (and HEAD): the document with its Content-Type, quoted SHA-1
// ETag and Last-Modified; without the id parameter, the JSON array of ids in scope
// updated after since (exclusive).
func (s *server) getDocument(c *fiber.Ctx, r *xapiRequest, d docResource) error {
	key, err := d.key(r, false, true)
	if err != nil {
		return err
	}
	if key.ID == "" {
		var since time.Time
		if v, ok := r.params["since"]; ok {
			if since, err = capture.ParseTimestamp(v[0]); err != nil {
				return capture.Errorf(capture.CodeInvalid, "parameter since: %q is not an ISO 8601 timestamp with a time zone", v[0])
			}
		}
		ids, err := s.cfg.Documents.IDs(c.UserContext(), key, since)
		if err != nil {
			return err
		}
		body := idList(ids)
		c.Set(fiber.HeaderETag, quoteETag(capture.ETagOf(body)))
		c.Set(fiber.HeaderContentType, jsonContentType)
		return c.Status(http.StatusOK).Send(body)
	}
	doc, err := s.cfg.Documents.Get(c.UserContext(), key)
	if err != nil {
		return err
	}
	ct := doc.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderETag, quoteETag(doc.ETag))
	if !doc.Updated.IsZero() {
		c.Set(fiber.HeaderLastModified, doc.Updated.UTC().Format(http.TimeFormat))
	}
	return c.Status(http.StatusOK).Send(doc.Content)
}

// putDocument serves PUT (replace) and POST (JSON merge, xAPI 1.0.3 Communication
// 2.2.s7) with the If-Match / If-None-Match preconditions of Communication 3.1; it
// answers 204 with the new ETag.
func (s *server) putDocument(c *fiber.Ctx, r *xapiRequest, d docResource, merge bool) error {
	key, err := d.key(r, true, false)
	if err != nil {
		return err
	}
	cond, hasCond := precondition(r.header)
	etag, err := s.cfg.Documents.Put(c.UserContext(), capture.DocumentWrite{
		Key:         key,
		ContentType: r.header.Get(fiber.HeaderContentType),
		Content:     r.body,
		Cond:        cond,
		Merge:       merge,
		HasCond:     hasCond,
	})
	if err != nil {
		return err
	}
	if etag != "" {
		c.Set(fiber.HeaderETag, quoteETag(etag))
	}
	c.Status(http.StatusNoContent)
	return nil
}

// deleteDocument serves DELETE: one document, or for State without stateId every
// document of the activity, agent (and registration); 204 No Content.
func (s *server) deleteDocument(c *fiber.Ctx, r *xapiRequest, d docResource) error {
	key, err := d.key(r, !d.deleteAll, false)
	if err != nil {
		return err
	}
	if key.ID == "" {
		err = s.cfg.Documents.DeleteAll(c.UserContext(), key)
	} else {
		cond, _ := precondition(r.header)
		err = s.cfg.Documents.Delete(c.UserContext(), key, cond)
	}
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// precondition reads If-Match (an ETag, quotes and a weak prefix removed; the first of
// a list) and If-None-Match: * (xAPI 1.0.3 Communication 3.1). It reports whether either
// was given; If-None-Match with ETags instead of * is ignored.
func precondition(h http.Header) (capture.Precondition, bool) {
	var p capture.Precondition
	has := false
	if v := strings.TrimSpace(h.Get(fiber.HeaderIfMatch)); v != "" {
		first, _, _ := strings.Cut(v, ",")
		p.IfMatch = unquoteETag(first)
		has = p.IfMatch != ""
	}
	if strings.TrimSpace(h.Get(fiber.HeaderIfNoneMatch)) == "*" {
		p.IfNoneMatch = true
		has = true
	}
	return p, has
}

// unquoteETag returns the bare ETag of an entity-tag: quotes and a weak prefix removed.
func unquoteETag(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "W/")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return strings.TrimSpace(v)
}

// quoteETag returns etag as a quoted entity-tag (xAPI 1.0.3 Communication 3.1.s4.b4).
func quoteETag(etag string) string { return `"` + etag + `"` }
