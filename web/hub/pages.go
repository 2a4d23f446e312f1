package hub

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/gofiber/fiber/v2"
)

// mountPages registers the HTML pages and their form posts. Every POST checks the
// CSRF token first; a failed action re-renders its form (or an error page) with the
// message and a 4xx status, and writes nothing.
func (h *Hub) mountPages(app *fiber.App) {
	app.Get("/", h.home)
	app.Get("/questions/:id", h.questionPage)
	app.Get("/answers/:id", h.answerRedirect)
	app.Get("/ask", h.requirePerson, h.askPage)
	app.Post("/ask", h.csrf, h.requirePerson, h.askPost)
	app.Post("/questions/:id/answers", h.csrf, h.requirePerson, h.answerPost)
	app.Post("/questions/:id/close", h.csrf, h.requirePerson, h.closePost)
	app.Post("/posts/:id/comments", h.csrf, h.requirePerson, h.commentPost)
	app.Post("/posts/:id/vote", h.csrf, h.requirePerson, h.votePost)
	app.Post("/posts/:id/accept", h.csrf, h.requirePerson, h.acceptPost)
	app.Post("/posts/:id/delete", h.csrf, h.requirePerson, h.deletePost)
	app.Get("/posts/:id/edit", h.requirePerson, h.editPage)
	app.Post("/posts/:id/edit", h.csrf, h.requirePerson, h.editPost)
	app.Get("/posts/:id/revisions", h.revisionsPage)
	app.Get("/signin", h.signinPage)
	app.Post("/signin", h.csrf, h.signinPost)
	app.Post("/signout", h.csrf, h.signoutPost)
	app.Get("/signup", h.signupPage)
	app.Post("/signup", h.csrf, h.signupPost)
	app.Get("/people/:id", h.profilePage)
	app.Post("/me/extension/code", h.csrf, h.requirePerson, h.extensionCodePost)
	app.Post("/me/extension/credentials/:key/revoke", h.csrf, h.requirePerson, h.extensionRevokePost)
	app.Get("/learning/new", h.requirePerson, h.learningPage)
	app.Post("/learning", h.csrf, h.requirePerson, h.learningPost)
	app.Post("/learning/:id/void", h.csrf, h.requirePerson, h.voidPost)
	app.Get("/tags", h.tagsPage)
	app.Get("/tags/:name", h.tagPage)
	app.Post("/tags/:name/follow", h.csrf, h.requirePerson, h.followPost)
	app.Get("/notifications", h.requirePerson, h.notificationsPage)
	app.Get("/privileges", h.privilegesPage)
	app.Post("/people/:id/role", h.csrf, h.RequireAdmin, h.rolePost)
	app.Get("/admin/invites", h.RequireAdmin, h.invitesPage)
	app.Post("/admin/invites", h.csrf, h.RequireAdmin, h.invitesPost)
}

// csrf rejects a form post without this session's (or visitor's) token.
func (h *Hub) csrf(c *fiber.Ctx) error {
	if err := h.checkCSRF(c); err != nil {
		return h.fail(c, err)
	}
	return c.Next()
}

func (h *Hub) me(c *fiber.Ctx) qa.Person { p, _ := h.CurrentPerson(c); return p }

// listQuery reads the list parameters: q, tag, sort, after ("score:id").
func listQuery(c *fiber.Ctx) (qa.QuestionQuery, error) {
	sort, ok := qa.ParseSort(c.Query("sort"))
	if !ok {
		return qa.QuestionQuery{}, capture.Errorf(capture.CodeInvalid, "sort: must be newest, votes or unanswered")
	}
	q := qa.QuestionQuery{Text: strings.Clone(c.Query("q")), Tag: strings.Clone(c.Query("tag")), Sort: sort, Limit: 20}
	if a := c.Query("after"); a != "" {
		score, id, found := strings.Cut(a, ":")
		s, err1 := strconv.Atoi(score)
		i, err2 := strconv.ParseInt(id, 10, 64)
		if !found || err1 != nil || err2 != nil || i <= 0 {
			return qa.QuestionQuery{}, capture.Errorf(capture.CodeInvalid, "after: not a page position")
		}
		q.After = qa.Cursor{Score: s, ID: i}
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return qa.QuestionQuery{}, capture.Errorf(capture.CodeInvalid, "limit: must be 1 to 100")
		}
		q.Limit = n
	}
	return q, nil
}

// nextLink is the URL of the page after list.
func nextLink(path string, q qa.QuestionQuery, list []qa.Post) string {
	last := list[len(list)-1]
	v := fmt.Sprintf("%s?sort=%s&after=%d:%d", path, q.Sort, last.Score, last.ID)
	if q.Text != "" {
		v += "&q=" + url.QueryEscape(q.Text)
	}
	if q.Tag != "" && !strings.HasPrefix(path, "/tags/") {
		v += "&tag=" + url.QueryEscape(q.Tag)
	}
	return v
}

func (h *Hub) home(c *fiber.Ctx) error {
	q, err := listQuery(c)
	if err != nil {
		return h.fail(c, err)
	}
	list, more, err := h.svc.Questions(c.UserContext(), q)
	if err != nil {
		return h.fail(c, err)
	}
	data := map[string]any{"Questions": list, "Query": q}
	if more {
		data["Next"] = nextLink("/", q, list)
	}
	title := "Questions"
	if q.Text != "" {
		title = "Search: " + q.Text
	}
	return h.render(c, "home", title, data)
}

func (h *Hub) questionPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	return h.showQuestion(c, id, http.StatusOK, nil)
}

// showQuestion renders a question page with status and, for a failed form, its
// message and input.
func (h *Hub) showQuestion(c *fiber.Ctx, id int64, status int, formErr map[string]any) error {
	th, err := h.svc.Thread(c.UserContext(), id)
	if err != nil {
		return h.fail(c, err)
	}
	data := map[string]any{"Thread": th, "Votes": map[int64]int{}, "Form": formErr}
	if p, ok := h.CurrentPerson(c); ok {
		votes := map[int64]int{}
		ids := []int64{th.Question.ID}
		for _, a := range th.Answers {
			ids = append(ids, a.ID)
		}
		for _, pid := range ids {
			if v, err := h.svc.MyVote(c.UserContext(), p, pid); err == nil && v != 0 {
				votes[pid] = v
			}
		}
		data["Votes"] = votes
	}
	if th.Question.DuplicateOf != 0 {
		if dup, err := h.svc.Question(c.UserContext(), th.Question.DuplicateOf); err == nil {
			data["Duplicate"] = dup
		}
	}
	return h.render(c.Status(status), "question", th.Question.Title, data)
}

func (h *Hub) answerRedirect(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	p, err := h.svc.Post(c.UserContext(), id)
	if err != nil || p.Kind != qa.KindAnswer {
		return h.fail(c, capture.Errorf(capture.CodeNotFound, "no such answer"))
	}
	return c.Redirect(fmt.Sprintf("/questions/%d#answer-%d", p.QuestionID, p.ID), http.StatusSeeOther)
}

func (h *Hub) askPage(c *fiber.Ctx) error {
	return h.render(c, "ask", "Ask a question", map[string]any{"Title": strings.Clone(c.Query("title"))})
}

func (h *Hub) askPost(c *fiber.Ctx) error {
	title, body, tags := form(c, "title"), form(c, "body"), form(c, "tags")
	q, err := h.svc.Ask(c.UserContext(), h.me(c), title, body, []string{tags})
	if err != nil {
		if statusOf(err) >= 500 {
			return h.fail(c, err)
		}
		return h.render(c.Status(statusOf(err)), "ask", "Ask a question", map[string]any{"Error": capture.ErrorMessage(err), "Title": title, "Body": body, "Tags": tags})
	}
	return c.Redirect(fmt.Sprintf("/questions/%d", q.ID), http.StatusSeeOther)
}

func (h *Hub) answerPost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	body := form(c, "body")
	a, err := h.svc.Answer(c.UserContext(), h.me(c), id, body)
	if err != nil {
		if s := statusOf(err); s == http.StatusBadRequest || s == http.StatusConflict {
			return h.showQuestion(c, id, s, map[string]any{"AnswerError": capture.ErrorMessage(err), "Body": body})
		}
		return h.fail(c, err)
	}
	return c.Redirect(fmt.Sprintf("/questions/%d#answer-%d", id, a.ID), http.StatusSeeOther)
}

// back redirects to the question page of post id (anchored at it).
func (h *Hub) back(c *fiber.Ctx, id int64) error {
	p, err := h.svc.Post(c.UserContext(), id)
	if err != nil {
		return c.Redirect("/", http.StatusSeeOther)
	}
	anchor := fmt.Sprintf("#post-%d", p.ID)
	if p.Kind == qa.KindComment {
		anchor = fmt.Sprintf("#post-%d", p.ParentID)
	}
	return c.Redirect(fmt.Sprintf("/questions/%d%s", p.QuestionID, anchor), http.StatusSeeOther)
}

func (h *Hub) commentPost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	if _, err := h.svc.Comment(c.UserContext(), h.me(c), id, form(c, "body")); err != nil {
		return h.fail(c, err)
	}
	return h.back(c, id)
}

func (h *Hub) votePost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	v, err := strconv.Atoi(c.FormValue("value"))
	if err != nil {
		return h.fail(c, capture.Errorf(capture.CodeInvalid, "vote: must be 1, -1 or 0"))
	}
	if _, err := h.svc.Vote(c.UserContext(), h.me(c), id, v); err != nil {
		return h.fail(c, err)
	}
	return h.back(c, id)
}

func (h *Hub) acceptPost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	if err := h.svc.Accept(c.UserContext(), h.me(c), id); err != nil {
		return h.fail(c, err)
	}
	return h.back(c, id)
}

func (h *Hub) deletePost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	p, err := h.svc.Post(c.UserContext(), id)
	if err != nil {
		return h.fail(c, err)
	}
	if err := h.svc.Delete(c.UserContext(), h.me(c), id); err != nil {
		return h.fail(c, err)
	}
	if p.Kind == qa.KindQuestion {
		return c.Redirect("/", http.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/questions/%d", p.QuestionID), http.StatusSeeOther)
}

func (h *Hub) closePost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	of, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(c.FormValue("duplicate_of")), "#"), 10, 64)
	if err != nil || of <= 0 {
		return h.fail(c, capture.Errorf(capture.CodeInvalid, "duplicate_of: give the number of the original question"))
	}
	if err := h.svc.CloseAsDuplicate(c.UserContext(), h.me(c), id, of); err != nil {
		return h.fail(c, err)
	}
	return c.Redirect(fmt.Sprintf("/questions/%d", id), http.StatusSeeOther)
}

func (h *Hub) editPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	p, err := h.svc.Post(c.UserContext(), id)
	if err == nil && p.Deleted {
		err = capture.Errorf(capture.CodeNotFound, "this post was deleted")
	}
	if err != nil {
		return h.fail(c, err)
	}
	if !h.svc.MayEdit(h.me(c), p) {
		return h.fail(c, capture.Errorf(capture.CodeForbidden, "you may not edit this post"))
	}
	return h.render(c, "edit", "Edit", map[string]any{"Post": p, "Title": p.Title, "Body": p.Body, "Tags": strings.Join(p.Tags, " "), "Version": p.Version})
}

func (h *Hub) editPost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	title, body, tags := form(c, "title"), form(c, "body"), form(c, "tags")
	p, err := h.svc.Edit(c.UserContext(), h.me(c), id, version, title, body, []string{tags})
	if err != nil {
		s := statusOf(err)
		if s != http.StatusBadRequest && s != http.StatusConflict {
			return h.fail(c, err)
		}
		cur, gerr := h.svc.Post(c.UserContext(), id)
		if gerr != nil {
			return h.fail(c, gerr)
		}
		return h.render(c.Status(s), "edit", "Edit", map[string]any{"Post": cur, "Error": capture.ErrorMessage(err),
			"Title": title, "Body": body, "Tags": tags, "Version": version})
	}
	return h.back(c, p.ID)
}

func (h *Hub) revisionsPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	p, err := h.svc.Post(c.UserContext(), id)
	if err != nil || p.Deleted {
		return h.fail(c, capture.Errorf(capture.CodeNotFound, "no such post"))
	}
	revs, err := h.svc.Revisions(c.UserContext(), id)
	if err != nil {
		return h.fail(c, err)
	}
	return h.render(c, "revisions", "Revisions", map[string]any{"Post": p, "Revisions": revs})
}

// --- sign-in ---

func (h *Hub) signinPage(c *fiber.Ctx) error {
	return h.render(c, "signin", "Sign in", map[string]any{"Next": safeNext(c.Query("next")), "Signup": h.svc.SignupMode() == qa.SignupOpen})
}

func (h *Hub) setSession(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: h.secure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(qa.SessionTTL)})
}

func (h *Hub) signinPost(c *fiber.Ctx) error {
	email, next := form(c, "email"), safeNext(c.FormValue("next"))
	_, _, tok, err := h.svc.SignIn(c.UserContext(), email, c.FormValue("password"), strings.Clone(c.IP()))
	if err != nil {
		s := statusOf(err)
		if s >= 500 {
			return h.fail(c, err)
		}
		if s == http.StatusTooManyRequests {
			c.Set(fiber.HeaderRetryAfter, "900")
		}
		return h.render(c.Status(s), "signin", "Sign in", map[string]any{"Error": capture.ErrorMessage(err), "Email": email, "Next": next,
			"Signup": h.svc.SignupMode() == qa.SignupOpen})
	}
	h.setSession(c, tok)
	return c.Redirect(next, http.StatusSeeOther)
}

func (h *Hub) signoutPost(c *fiber.Ctx) error {
	_ = h.svc.SignOut(c.UserContext(), strings.Clone(c.Cookies(sessionCookie)))
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: h.secure, SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0)})
	return c.Redirect("/", http.StatusSeeOther)
}

func (h *Hub) signupPage(c *fiber.Ctx) error {
	return h.render(c, "signup", "Sign up", map[string]any{"Invite": strings.Clone(c.Query("invite")), "InviteOnly": h.svc.SignupMode() == qa.SignupInvite})
}

func (h *Hub) signupPost(c *fiber.Ctx) error {
	email, name, invite := form(c, "email"), form(c, "name"), form(c, "invite")
	password := c.FormValue("password")
	if password != c.FormValue("password2") {
		return h.render(c.Status(http.StatusBadRequest), "signup", "Sign up", map[string]any{"Error": "password: the two passwords differ",
			"Email": email, "Name": name, "Invite": invite, "InviteOnly": h.svc.SignupMode() == qa.SignupInvite})
	}
	if _, err := h.svc.SignUp(c.UserContext(), email, name, password, invite); err != nil {
		if statusOf(err) >= 500 {
			return h.fail(c, err)
		}
		return h.render(c.Status(statusOf(err)), "signup", "Sign up", map[string]any{"Error": capture.ErrorMessage(err),
			"Email": email, "Name": name, "Invite": invite, "InviteOnly": h.svc.SignupMode() == qa.SignupInvite})
	}
	_, _, tok, err := h.svc.SignIn(c.UserContext(), email, password, strings.Clone(c.IP()))
	if err != nil {
		return c.Redirect("/signin", http.StatusSeeOther)
	}
	h.setSession(c, tok)
	return c.Redirect("/", http.StatusSeeOther)
}

// --- people, learning, tags, notifications ---

func (h *Hub) profilePage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	p, err := h.svc.Person(c.UserContext(), id)
	if err != nil {
		return h.fail(c, err)
	}
	return h.renderProfile(c, p)
}

// renderProfile shows p's profile; their own adds the learning record, followed tags
// and the browser extension's connection.
func (h *Hub) renderProfile(c *fiber.Ctx, p qa.Person) error {
	ctx := c.UserContext()
	id := p.ID
	questions, err := h.svc.PostsBy(ctx, id, qa.KindQuestion, 20)
	if err != nil {
		return h.fail(c, err)
	}
	answers, err := h.svc.PostsBy(ctx, id, qa.KindAnswer, 20)
	if err != nil {
		return h.fail(c, err)
	}
	data := map[string]any{"Profile": p, "Questions": questions, "Answers": answers, "Privileges": h.privilegeRows(p)}
	me, signedIn := h.CurrentPerson(c)
	if signedIn && (me.ID == p.ID || me.Role == qa.RoleAdmin) && h.linked != nil {
		accounts, err := h.linked(ctx, p.ID)
		if err != nil {
			return h.fail(c, err)
		}
		data["Linked"] = accounts
	}
	if signedIn && me.ID == p.ID {
		items, more, err := h.svc.LearningRecord(ctx, p, 25, strings.Clone(c.Query("more")))
		if err != nil {
			return h.fail(c, err)
		}
		data["Own"] = true
		if h.creds != nil {
			data["ExtensionOn"] = true
			if data["Extension"], err = h.extensionCredentials(c, p); err != nil {
				return h.fail(c, err)
			}
			if code, ok := c.Locals(localsConnectCode).(string); ok {
				data["ConnectCode"], data["ConnectCodeExpires"] = code, c.Locals(localsConnectExpiry)
			}
		}
		data["Learning"] = items
		data["More"] = more
		data["Followed"], _ = h.svc.FollowedTags(ctx, p)
	}
	return h.render(c, "profile", p.Name, data)
}

// privilegeRow is one gate on the privileges table.
type privilegeRow struct {
	Name, Label string
	Need        int
	Has         bool
}

func (h *Hub) privilegeRows(p qa.Person) []privilegeRow {
	var out []privilegeRow
	ps := h.svc.Privileges()
	for _, pr := range qa.PrivilegeOrder() {
		out = append(out, privilegeRow{Name: string(pr), Label: pr.Describe(), Need: ps[pr], Has: ps.Allows(p, pr)})
	}
	return out
}

func (h *Hub) privilegesPage(c *fiber.Ctx) error {
	return h.render(c, "privileges", "Reputation and privileges", map[string]any{"Privileges": h.privilegeRows(h.me(c)),
		"Rules": [][2]any{
			{"Your question or answer is voted up", qa.RepUpvoteReceived},
			{"Your question or answer is voted down", qa.RepDownvoteReceived},
			{"You vote an answer down", qa.RepDownvoteCast},
			{"Your answer is accepted", qa.RepAcceptedAnswer},
			{"You accept an answer to your question", qa.RepAcceptedByAsker},
		}})
}

func (h *Hub) learningPage(c *fiber.Ctx) error {
	return h.render(c, "learning", "Record learning", map[string]any{"Kinds": qa.LearningKinds(), "Date": time.Now().UTC().Format("2006-01-02")})
}

func (h *Hub) learningPost(c *fiber.Ctx) error {
	in := map[string]any{"Kinds": qa.LearningKinds(), "Kind": form(c, "kind"), "TitleV": form(c, "title"), "URL": form(c, "url"),
		"Date": form(c, "date"), "Minutes": form(c, "minutes"), "Note": form(c, "note"), "Tags": form(c, "tags")}
	e := qa.LearningEntry{Kind: qa.LearningKind(in["Kind"].(string)), Title: in["TitleV"].(string), URL: in["URL"].(string),
		Note: in["Note"].(string), Tags: []string{in["Tags"].(string)}}
	var err error
	if d := in["Date"].(string); d != "" {
		if e.Date, err = time.Parse("2006-01-02", d); err != nil {
			err = capture.Errorf(capture.CodeInvalid, "date: use the form YYYY-MM-DD")
		} else {
			e.Date = e.Date.Add(12 * time.Hour)
		}
	}
	if m := in["Minutes"].(string); err == nil && m != "" {
		n, perr := strconv.Atoi(m)
		if perr != nil || n < 0 {
			err = capture.Errorf(capture.CodeInvalid, "duration: give whole minutes")
		}
		e.Duration = time.Duration(n) * time.Minute
	}
	if err == nil {
		_, err = h.svc.RecordLearning(c.UserContext(), h.me(c), e)
	}
	if err != nil {
		if statusOf(err) >= 500 {
			return h.fail(c, err)
		}
		in["Error"] = capture.ErrorMessage(err)
		return h.render(c.Status(statusOf(err)), "learning", "Record learning", in)
	}
	return c.Redirect(fmt.Sprintf("/people/%d#learning", h.me(c).ID), http.StatusSeeOther)
}

func (h *Hub) voidPost(c *fiber.Ctx) error {
	if err := h.svc.VoidLearning(c.UserContext(), h.me(c), strings.Clone(c.Params("id"))); err != nil {
		return h.fail(c, err)
	}
	return c.Redirect(fmt.Sprintf("/people/%d#learning", h.me(c).ID), http.StatusSeeOther)
}

func (h *Hub) tagsPage(c *fiber.Ctx) error {
	tags, err := h.svc.Tags(c.UserContext(), strings.Clone(c.Query("prefix")), 100)
	if err != nil {
		return h.fail(c, err)
	}
	return h.render(c, "tags", "Tags", map[string]any{"Tags": tags})
}

func (h *Hub) tagPage(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("name"))
	tag, err := h.svc.Tag(c.UserContext(), name)
	if err != nil {
		return h.fail(c, err)
	}
	q, err := listQuery(c)
	if err != nil {
		return h.fail(c, err)
	}
	q.Tag = name
	list, more, err := h.svc.Questions(c.UserContext(), q)
	if err != nil {
		return h.fail(c, err)
	}
	data := map[string]any{"Tag": tag, "Questions": list, "Query": q}
	if more {
		data["Next"] = nextLink("/tags/"+name, q, list)
	}
	if p, ok := h.CurrentPerson(c); ok {
		followed, _ := h.svc.FollowedTags(c.UserContext(), p)
		for _, f := range followed {
			if f == name {
				data["Following"] = true
			}
		}
	}
	return h.render(c, "tag", "Tag "+name, data)
}

func (h *Hub) followPost(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("name"))
	if err := h.svc.Follow(c.UserContext(), h.me(c), name, c.FormValue("follow") != "0"); err != nil {
		return h.fail(c, err)
	}
	return c.Redirect("/tags/"+name, http.StatusSeeOther)
}

func (h *Hub) notificationsPage(c *fiber.Ctx) error {
	list, _, err := h.svc.Notifications(c.UserContext(), h.me(c), 50)
	if err != nil {
		return h.fail(c, err)
	}
	if err := h.svc.MarkNotificationsRead(c.UserContext(), h.me(c)); err != nil {
		h.log.Warn("mark notifications read", "err", err)
	}
	return h.render(c, "notifications", "Notifications", map[string]any{"Notifications": list})
}

func (h *Hub) invitesPage(c *fiber.Ctx) error {
	return h.render(c, "invites", "Invite people", map[string]any{"Mode": h.svc.SignupMode()})
}

func (h *Hub) invitesPost(c *fiber.Ctx) error {
	email := form(c, "email")
	tok, err := h.svc.CreateInvite(c.UserContext(), h.me(c), email)
	data := map[string]any{"Mode": h.svc.SignupMode(), "Email": email}
	if err != nil {
		if statusOf(err) >= 500 {
			return h.fail(c, err)
		}
		data["Error"] = capture.ErrorMessage(err)
		return h.render(c.Status(statusOf(err)), "invites", "Invite people", data)
	}
	data["Link"] = h.svc.BaseURL() + "/signup?invite=" + tok
	return h.render(c, "invites", "Invite people", data)
}

func (h *Hub) rolePost(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return h.fail(c, err)
	}
	if err := h.svc.SetRole(c.UserContext(), h.me(c), id, qa.Role(form(c, "role"))); err != nil {
		return h.fail(c, err)
	}
	return c.Redirect(fmt.Sprintf("/people/%d", id), http.StatusSeeOther)
}

// Locals that carry a connect code just made to the profile page.
const (
	localsConnectCode   = "cairn.connectCode"
	localsConnectExpiry = "cairn.connectExpiry"
)

// connectCodeTTL is how long a connect code made on the profile page may be redeemed.
const connectCodeTTL = 15 * time.Minute

// extensionCredentials lists the browser-extension credentials of p (personal
// credentials bound to p's agent), newest first.
func (h *Hub) extensionCredentials(c *fiber.Ctx, p qa.Person) ([]capture.Credential, error) {
	key, err := capture.AgentKeyOf(p.Agent)
	if err != nil {
		return nil, err
	}
	creds, err := h.creds.PersonalCredentials(c.UserContext(), key)
	if err != nil {
		return nil, err
	}
	slices.Reverse(creds)
	return creds, nil
}

// extensionCodePost makes a one-time connect code for the signed-in person and shows
// it on their profile: the browser extension exchanges it for a credential that may
// only write and read that person's statements.
func (h *Hub) extensionCodePost(c *fiber.Ctx) error {
	p := h.me(c)
	if h.creds == nil {
		return h.fail(c, capture.Errorf(capture.CodeNotFound, "this Cairn does not connect browser extensions"))
	}
	code, expires, err := h.creds.IssueConnectCode(c.UserContext(), p.Agent, connectCodeTTL)
	if err != nil {
		return h.fail(c, err)
	}
	c.Locals(localsConnectCode, code)
	c.Locals(localsConnectExpiry, expires)
	return h.renderProfile(c, p)
}

// extensionRevokePost revokes one of the signed-in person's extension credentials;
// CodeNotFound for a key that is not theirs.
func (h *Hub) extensionRevokePost(c *fiber.Ctx) error {
	p := h.me(c)
	key := strings.Clone(c.Params("key"))
	creds, err := h.extensionCredentials(c, p)
	if err != nil {
		return h.fail(c, err)
	}
	if !slices.ContainsFunc(creds, func(cr capture.Credential) bool { return cr.Key == key }) {
		return h.fail(c, capture.Errorf(capture.CodeNotFound, "you have no browser extension credential %s", key))
	}
	if err := h.creds.Revoke(c.UserContext(), key); err != nil {
		return h.fail(c, err)
	}
	return c.Redirect(fmt.Sprintf("/people/%d#extension", p.ID), http.StatusSeeOther)
}
