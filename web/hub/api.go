package hub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/gofiber/fiber/v2"
)

// mountAPI registers the JSON API. Errors answer through the app's one JSON error
// handler ({"error": {"code", "message"}}) with statuses from the one table.
//
// Authentication: the session cookie (writes then need the session's CSRF token in
// X-CSRF-Token), or an API credential as HTTP Basic (capture.CredentialService). A
// credential acts for the person whose email is in X-Cairn-Person, which writes
// need; acting for someone takes a trusted integration's credential (Cairn's admin
// scope) that may also write statements.
func (h *Hub) mountAPI(app *fiber.App) {
	app.Get("/api/me", h.apiMe)
	app.Get("/api/questions", h.apiList)
	app.Post("/api/questions", h.apiAsk)
	app.Get("/api/questions/:id", h.apiQuestion)
	app.Post("/api/questions/:id/answers", h.apiReply(h.svc.Answer))
	app.Post("/api/posts/:id/comments", h.apiReply(h.svc.Comment))
	app.Post("/api/posts/:id/vote", h.apiVote)
	app.Post("/api/answers/:id/accept", h.apiAccept)
	app.Get("/api/similar", h.apiSimilar)
}

// apiPerson returns the person a request acts for. write requires one; reads may be
// anonymous only with a valid credential or session (the API is not public).
func (h *Hub) apiPerson(c *fiber.Ctx, write bool) (qa.Person, error) {
	if p, ok := h.CurrentPerson(c); ok {
		if write {
			if err := h.checkCSRF(c); err != nil {
				return qa.Person{}, err
			}
		}
		return p, nil
	}
	auth := c.Get(fiber.HeaderAuthorization)
	if auth == "" || h.creds == nil {
		return qa.Person{}, capture.Errorf(capture.CodeUnauthorized, "sign in, or send an API credential as HTTP Basic")
	}
	raw, ok := strings.CutPrefix(auth, "Basic ")
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	key, secret, found := strings.Cut(string(dec), ":")
	if !ok || err != nil || !found {
		return qa.Person{}, capture.Errorf(capture.CodeUnauthorized, "Authorization: must be HTTP Basic with a credential key and secret")
	}
	pr, err := h.creds.Authenticate(c.UserContext(), key, secret)
	if err != nil {
		return qa.Person{}, err
	}
	email := strings.Clone(c.Get(personHeader))
	if email == "" {
		if write {
			return qa.Person{}, capture.Errorf(capture.CodeInvalid, "%s: name the person (email) this credential acts for", personHeader)
		}
		return qa.Person{}, nil
	}
	if write && !pr.Allows(capture.ResStatements, true) {
		return qa.Person{}, capture.Errorf(capture.CodeForbidden, "this credential may not write")
	}
	if !pr.IsAdmin() {
		return qa.Person{}, capture.Errorf(capture.CodeForbidden, "%s: only a credential with the admin scope may act for a person", personHeader)
	}
	p, err := h.svc.PersonByEmail(c.UserContext(), email)
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return qa.Person{}, capture.Errorf(capture.CodeNotFound, "%s: no hub account with this email", personHeader)
	}
	return p, err
}

// decodeBody decodes a JSON object strictly into v: CodeUnsupportedMedia for another
// content type, CodeInvalid for bad JSON or unknown fields.
func decodeBody(c *fiber.Ctx, v any) error {
	if ct := c.Get(fiber.HeaderContentType); !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return capture.Errorf(capture.CodeUnsupportedMedia, "Content-Type: must be application/json")
	}
	d := json.NewDecoder(bytes.NewReader(c.Body()))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return capture.Errorf(capture.CodeInvalid, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// apiPost is a post as the API shows it.
type apiPost struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	QuestionID  int64     `json:"questionId"`
	ParentID    int64     `json:"parentId,omitempty"`
	Title       string    `json:"title,omitempty"`
	Body        string    `json:"body"`
	Tags        []string  `json:"tags,omitempty"`
	Score       int       `json:"score"`
	AnswerCount int       `json:"answerCount"`
	AcceptedID  int64     `json:"acceptedAnswerId,omitempty"`
	DuplicateOf int64     `json:"duplicateOf,omitempty"`
	Author      apiAuthor `json:"author"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"createdAt"`
	Version     int       `json:"version"`
}

type apiAuthor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (h *Hub) toAPI(p qa.Post) apiPost {
	url := fmt.Sprintf("%s/questions/%d", h.svc.BaseURL(), p.QuestionID)
	if p.Kind != qa.KindQuestion {
		url += fmt.Sprintf("#post-%d", p.ID)
	}
	return apiPost{ID: p.ID, Kind: string(p.Kind), QuestionID: p.QuestionID, ParentID: p.ParentID, Title: p.Title, Body: p.Body, Tags: p.Tags,
		Score: p.Score, AnswerCount: p.AnswerCount, AcceptedID: p.AcceptedID, DuplicateOf: p.DuplicateOf,
		Author: apiAuthor{ID: p.AuthorID, Name: p.AuthorName}, URL: url, CreatedAt: p.CreatedAt, Version: p.Version}
}

func (h *Hub) apiMe(c *fiber.Ctx) error {
	p, err := h.apiPerson(c, false)
	if err != nil {
		return err
	}
	if p.ID == 0 {
		return capture.Errorf(capture.CodeNotFound, "%s: name a person", personHeader)
	}
	return c.JSON(map[string]any{"id": p.ID, "email": p.Email, "name": p.Name, "role": p.Role, "reputation": p.Reputation, "agent": p.Agent})
}

func (h *Hub) apiList(c *fiber.Ctx) error {
	if _, err := h.apiPerson(c, false); err != nil {
		return err
	}
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	list, more, err := h.svc.Questions(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := map[string]any{"questions": h.apiPosts(list)}
	if more {
		last := list[len(list)-1]
		out["next"] = fmt.Sprintf("%d:%d", last.Score, last.ID)
	}
	return c.JSON(out)
}

func (h *Hub) apiPosts(list []qa.Post) []apiPost {
	out := make([]apiPost, 0, len(list))
	for _, p := range list {
		out = append(out, h.toAPI(p))
	}
	return out
}

func (h *Hub) apiAsk(c *fiber.Ctx) error {
	p, err := h.apiPerson(c, true)
	if err != nil {
		return err
	}
	var in struct {
		Title string   `json:"title"`
		Body  string   `json:"body"`
		Tags  []string `json:"tags"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	q, err := h.svc.Ask(c.UserContext(), p, in.Title, in.Body, in.Tags)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(h.toAPI(q))
}

func (h *Hub) apiQuestion(c *fiber.Ctx) error {
	if _, err := h.apiPerson(c, false); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	th, err := h.svc.Thread(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := map[string]any{"question": h.toAPI(th.Question), "answers": h.apiPosts(th.Answers)}
	var comments []apiPost
	for _, list := range th.Comments {
		comments = append(comments, h.apiPosts(list)...)
	}
	out["comments"] = comments
	return c.JSON(out)
}

// apiReply handles a POST that adds a post under the post in the path (an answer to a
// question, a comment on a post) from a JSON {"body": …}: 201 with the new post.
func (h *Hub) apiReply(add func(ctx context.Context, p qa.Person, parentID int64, body string) (qa.Post, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := h.apiPerson(c, true)
		if err != nil {
			return err
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		var in struct {
			Body string `json:"body"`
		}
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		post, err := add(c.UserContext(), p, id, in.Body)
		if err != nil {
			return err
		}
		return c.Status(http.StatusCreated).JSON(h.toAPI(post))
	}
}

func (h *Hub) apiVote(c *fiber.Ctx) error {
	p, err := h.apiPerson(c, true)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Value *int `json:"value"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Value == nil {
		return capture.Errorf(capture.CodeInvalid, "value: 1 (up), -1 (down) or 0 (withdraw) is required")
	}
	post, err := h.svc.Vote(c.UserContext(), p, id, *in.Value)
	if err != nil {
		return err
	}
	return c.JSON(h.toAPI(post))
}

func (h *Hub) apiAccept(c *fiber.Ctx) error {
	p, err := h.apiPerson(c, true)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Accept(c.UserContext(), p, id); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// apiSimilar serves the ask page's suggestions: questions sharing words with title.
// It needs a session (the ask page) or a credential.
func (h *Hub) apiSimilar(c *fiber.Ctx) error {
	if _, err := h.apiPerson(c, false); err != nil {
		return err
	}
	title := strings.Clone(c.Query("title"))
	if len(title) > 300 {
		return capture.Errorf(capture.CodeInvalid, "title: at most 300 characters")
	}
	n, _ := strconv.Atoi(c.Query("limit", "5"))
	if n < 1 || n > 20 {
		n = 5
	}
	list, err := h.svc.Similar(c.UserContext(), title, n)
	if err != nil {
		return err
	}
	type item struct {
		ID      int64  `json:"id"`
		Title   string `json:"title"`
		URL     string `json:"url"`
		Answers int    `json:"answers"`
	}
	out := make([]item, 0, len(list))
	for _, q := range list {
		out = append(out, item{q.ID, q.Title, fmt.Sprintf("/questions/%d", q.ID), q.AnswerCount})
	}
	return c.JSON(out)
}
