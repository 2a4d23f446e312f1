package web

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

// getStatements serves GET (and HEAD) /statements (xAPI 1.0.3 Communication 2.1.3): one
// statement for statementId/voidedStatementId, a StatementResult otherwise, and the page
// behind a more link when the only parameters are more (and attachments, which the link
// repeats). With attachments=true the answer is multipart/mixed.
func (s *server) getStatements(c *fiber.Ctx, r *xapiRequest) error {
	if err := r.noRepeats(); err != nil {
		return err
	}
	req := capture.ReadRequest{
		Langs:     parseAcceptLanguage(r.header.Get(fiber.HeaderAcceptLanguage)),
		Principal: r.principal,
	}
	if _, ok := r.params["more"]; ok {
		for k := range r.params {
			if k != "more" && k != "attachments" {
				return capture.Errorf(capture.CodeInvalid, "parameter %s: a more link takes no other parameters; follow it as given", k)
			}
		}
		req.More = r.params.Get("more")
		if req.More == "" {
			return capture.Errorf(capture.CodeInvalid, "parameter more: empty")
		}
		// The token carries the attachments choice; the link repeats it for readers.
		if _, err := parseBool(r.params, "attachments"); err != nil {
			return err
		}
	} else {
		p, err := capture.ParseStatementParams(r.params)
		if err != nil {
			return err
		}
		req.Params = p
	}
	res, err := s.cfg.Statements.Read(c.UserContext(), req)
	if err != nil {
		return err
	}
	c.Set(headerConsistentThrough, res.ConsistentThrough.UTC().Format(time.RFC3339Nano))

	var document []byte
	if res.Single {
		document = res.Statement
		if !res.Stored.IsZero() {
			c.Set(fiber.HeaderLastModified, res.Stored.UTC().Format(http.TimeFormat))
		}
	} else {
		more := ""
		if res.More != "" {
			more = moreLink(res.More, res.Multipart)
		}
		document = statementResult(res.Statements, more)
	}
	if !res.Multipart {
		c.Set(fiber.HeaderContentType, jsonContentType)
		return c.Status(http.StatusOK).Send(document)
	}
	ct, body, err := writeStatementParts(document, res.Attachments)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Status(http.StatusOK).Send(body)
}

// moreLink returns the relative IRL of the next page (xAPI 1.0.3 Data 2.5): the token,
// and attachments=true when the pages are multipart.
func moreLink(token string, attachments bool) string {
	link := xapiBase + "/statements?more=" + url.QueryEscape(token)
	if attachments {
		link += "&attachments=true"
	}
	return link
}

// statementResult renders a StatementResult object (xAPI 1.0.3 Data 2.5) around
// already-encoded statements.
func statementResult(statements []json.RawMessage, more string) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"statements":[`)
	for i, st := range statements {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(st)
	}
	buf.WriteString(`],"more":`)
	m, _ := json.Marshal(more) // a string always encodes
	buf.Write(m)
	buf.WriteByte('}')
	return buf.Bytes()
}

// putStatement serves PUT /statements?statementId= (xAPI 1.0.3 Communication 2.1.1): one
// statement, answered 204 No Content.
func (s *server) putStatement(c *fiber.Ctx, r *xapiRequest) error {
	if err := r.allowParams("statementId"); err != nil {
		return err
	}
	id := r.params.Get("statementId")
	if id == "" {
		return capture.Errorf(capture.CodeInvalid, "parameter statementId: required for PUT")
	}
	if !isUUID(id) {
		return capture.Errorf(capture.CodeInvalid, "parameter statementId: %q is not a UUID", id)
	}
	release, err := s.writeSlot(c)
	if err != nil {
		return err
	}
	defer release()
	stmts, batch, parts, err := statementsContent(r)
	if err != nil {
		return err
	}
	if batch {
		return capture.Errorf(capture.CodeInvalid, "PUT stores one statement: send an object, not an array (POST takes arrays)")
	}
	origin, err := s.origin(c, r)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Statements.Write(c.UserContext(), capture.WriteRequest{
		Statements: stmts, Attachments: parts, PutID: strings.ToLower(id), Principal: r.principal, Origin: origin,
	}); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// postStatements serves POST /statements (xAPI 1.0.3 Communication 2.1.2): one statement
// or an array, answered 200 with the array of their ids.
func (s *server) postStatements(c *fiber.Ctx, r *xapiRequest) error {
	if err := r.allowParams(); err != nil {
		return err
	}
	release, err := s.writeSlot(c)
	if err != nil {
		return err
	}
	defer release()
	stmts, _, parts, err := statementsContent(r)
	if err != nil {
		return err
	}
	origin, err := s.origin(c, r)
	if err != nil {
		return err
	}
	ids, err := s.cfg.Statements.Write(c.UserContext(), capture.WriteRequest{
		Statements: stmts, Attachments: parts, Principal: r.principal, Origin: origin,
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, jsonContentType)
	return c.Status(http.StatusOK).Send(idList(ids))
}

// idList encodes ids as a JSON array of strings, [] when there are none.
func idList(ids []string) []byte {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids) // strings always encode
	return b
}

// writeSlot waits until the request's body fits in the write budget and returns the
// release; CodeUnavailable when the request is cancelled first.
func (s *server) writeSlot(c *fiber.Ctx) (func(), error) {
	n := min(max(int64(len(c.Body())), 1024), s.budget)
	if err := s.writeBudget.Acquire(c.UserContext(), n); err != nil {
		return nil, capture.Errorf(capture.CodeUnavailable, "the request ended while waiting to write")
	}
	return func() { s.writeBudget.Release(n) }, nil
}

// statementsContent decodes the content of a Statements PUT or POST: application/json,
// or multipart/mixed with attachment parts (xAPI 1.0.3 Communication 1.5). Any other or
// missing Content-Type → CodeInvalid.
func statementsContent(r *xapiRequest) ([]capture.Statement, bool, map[string]capture.Attachment, error) {
	ct := r.header.Get(fiber.HeaderContentType)
	if ct == "" {
		return nil, false, nil, capture.Errorf(capture.CodeInvalid, "the Content-Type header is required: application/json or multipart/mixed")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, false, nil, capture.Errorf(capture.CodeInvalid, "the Content-Type %q does not parse: %v", ct, err)
	}
	document := r.body
	var parts map[string]capture.Attachment
	switch mt {
	case fiber.MIMEApplicationJSON:
	case "multipart/mixed":
		if document, parts, err = readStatementParts(params["boundary"], r.body); err != nil {
			return nil, false, nil, err
		}
	default:
		return nil, false, nil, capture.Errorf(capture.CodeInvalid,
			"statements are sent as application/json or multipart/mixed, not %s", mt)
	}
	stmts, batch, err := capture.DecodeStatements(document)
	if err != nil {
		return nil, false, nil, err
	}
	return stmts, batch, parts, nil
}

// origin names the partner whose inbound credential made the request ("" for none),
// so that federation never pushes its statements back to it.
func (s *server) origin(c *fiber.Ctx, r *xapiRequest) (string, error) {
	if s.cfg.Origin == nil {
		return "", nil
	}
	return s.cfg.Origin(c.UserContext(), r.principal.Credential.Key)
}
