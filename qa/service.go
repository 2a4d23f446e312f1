package qa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
)

// SignupMode says who may create an account from the sign-up page.
type SignupMode string

// The sign-up modes.
const (
	SignupOpen   SignupMode = "open"   // anyone
	SignupInvite SignupMode = "invite" // only with an invite link an admin made
)

// Limits on what people write (runes unless stated).
const (
	MinTitle      = 10
	MaxTitle      = 150
	MaxBody       = 30000
	MaxComment    = 2000
	MinComment    = 2
	MaxTags       = 5
	MaxTagLen     = 35
	MaxName       = 100
	MaxTeam       = 100
	MinPassword   = 10
	MaxPassword   = 200
	SessionTTL    = 14 * 24 * time.Hour
	InviteTTL     = 7 * 24 * time.Hour
	maxListLimit  = 100
	loginWindow   = 15 * time.Minute
	loginPerEmail = 5  // failed sign-ins per address per window
	loginPerIP    = 20 // failed sign-ins per client per window
)

// Config configures a Service.
type Config struct {
	Store      Store
	Statements Statements
	Notifier   Notifier // nil: notifications go nowhere
	// BaseURL is the hub's public URL (no trailing slash): activity ids and links.
	BaseURL string
	// AgentHomePage, when set, makes each new person's agent an account on it named by
	// their email; empty: an mbox agent (mailto: email).
	AgentHomePage string
	Signup        SignupMode // "" : open
	Privileges    Privileges // nil: DefaultPrivileges
	Now           func() time.Time
	Logger        *slog.Logger
}

// Service holds the hub's rules. Its methods are safe for concurrent use. Errors are
// *capture.Error: CodeInvalid for bad input (the message says which field and why),
// CodeForbidden for a missing right or privilege, CodeNotFound, CodeConflict for a
// stale form or a repeated action, CodeUnauthorized for failed sign-in.
type Service struct {
	store    Store
	stmts    Statements
	notifier Notifier
	base     string
	home     string
	signup   SignupMode
	privs    Privileges
	now      func() time.Time
	log      *slog.Logger
	kdf      chan struct{}

	mu       sync.Mutex
	failures map[string][]time.Time // throttle key → recent failed sign-in times

	dummyOnce sync.Once
	dummy     string // a hash checked when the email is unknown, so both cases take as long
}

// NewService returns a Service over cfg.
func NewService(cfg Config) *Service {
	s := &Service{store: cfg.Store, stmts: cfg.Statements, notifier: cfg.Notifier,
		base: strings.TrimRight(cfg.BaseURL, "/"), home: strings.TrimRight(cfg.AgentHomePage, "/"),
		signup: cfg.Signup, privs: cfg.Privileges, now: cfg.Now, log: cfg.Logger,
		kdf: make(chan struct{}, 2), failures: map[string][]time.Time{}}
	if s.signup == "" {
		s.signup = SignupOpen
	}
	if s.privs == nil {
		s.privs = DefaultPrivileges()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.notifier == nil {
		s.notifier = Notifiers{}
	}
	return s
}

// BaseURL returns the hub's public URL without a trailing slash.
func (s *Service) BaseURL() string { return s.base }

// SignupMode returns who may sign up.
func (s *Service) SignupMode() SignupMode { return s.signup }

// Privileges returns the reputation gates.
func (s *Service) Privileges() Privileges { return s.privs }

// Can reports whether p has priv (see Privileges.Allows).
func (s *Service) Can(p Person, priv Privilege) bool { return s.privs.Allows(p, priv) }

func invalid(format string, args ...any) error {
	return capture.Errorf(capture.CodeInvalid, format, args...)
}

func forbidden(format string, args ...any) error {
	return capture.Errorf(capture.CodeForbidden, format, args...)
}

// --- people and sign-in ---

// normalEmail validates an address and returns it lower-cased.
func normalEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", invalid("email: %q is not an email address", excerpt(email, 60))
	}
	return strings.ToLower(email), nil
}

// agentFor returns the xAPI agent of a new person (design.md §5).
func (s *Service) agentFor(email string) map[string]any {
	if s.home != "" {
		return map[string]any{"account": map[string]any{"homePage": s.home, "name": email}}
	}
	return map[string]any{"mbox": "mailto:" + email}
}

// CreatePerson makes an account with role, as the CLI and admins do. CodeInvalid for
// a bad email, name or password; CodeConflict when the email is taken.
func (s *Service) CreatePerson(ctx context.Context, email, name, password string, role Role) (Person, error) {
	return s.createPerson(ctx, email, name, password, role, "", "")
}

// CreatePersonInTeam is CreatePerson with the person's team set from the start;
// CodeInvalid also for a team NormalTeam refuses.
func (s *Service) CreatePersonInTeam(ctx context.Context, email, name, password string, role Role, team string) (Person, error) {
	return s.createPerson(ctx, email, name, password, role, team, "")
}

func (s *Service) createPerson(ctx context.Context, email, name, password string, role Role, team, inviteHash string) (Person, error) {
	email, err := normalEmail(email)
	if err != nil {
		return Person{}, err
	}
	if team, err = NormalTeam(team); err != nil {
		return Person{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxName {
		return Person{}, invalid("name: must be 1 to %d characters", MaxName)
	}
	if n := utf8.RuneCountInString(password); n < MinPassword || n > MaxPassword {
		return Person{}, invalid("password: must be %d to %d characters", MinPassword, MaxPassword)
	}
	if _, ok := ParseRole(string(role)); !ok {
		return Person{}, invalid("role: must be member, moderator or admin")
	}
	hash, err := capture.HashSecret(password)
	if err != nil {
		return Person{}, err
	}
	return s.store.CreatePerson(ctx, Person{Email: email, Name: name, Role: role, Reputation: StartReputation,
		PasswordHash: hash, Agent: s.agentFor(email), Team: team, CreatedAt: s.now().UTC()}, inviteHash)
}

// SignUp makes a member account from the sign-up page. In invite-only mode invite
// must be a valid unused invite token (CodeForbidden when missing, CodeInvalid when
// wrong or used); otherwise as CreatePerson.
func (s *Service) SignUp(ctx context.Context, email, name, password, invite string) (Person, error) {
	hash := ""
	if s.signup == SignupInvite {
		if invite == "" {
			return Person{}, forbidden("sign-up is by invitation only: ask an admin for an invite link")
		}
		hash = tokenHash(invite)
	}
	return s.createPerson(ctx, email, name, password, RoleMember, "", hash)
}

// CreateInvite makes an invite link token (for email, or anyone when empty) valid for
// InviteTTL. CodeForbidden unless by is an admin.
func (s *Service) CreateInvite(ctx context.Context, by Person, email string) (string, error) {
	if by.Role != RoleAdmin {
		return "", forbidden("only admins can invite")
	}
	if email != "" {
		var err error
		if email, err = normalEmail(email); err != nil {
			return "", err
		}
	}
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	return tok, s.store.CreateInvite(ctx, Invite{TokenHash: tokenHash(tok), Email: email, CreatedBy: by.ID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)})
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", capture.Internal(err, "cannot generate a token")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is how session and invite tokens are stored: a leaked table opens nothing.
func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// throttled reports whether key had too many failures within the window.
func (s *Service) throttled(key string, max int, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	recent := s.failures[key][:0]
	for _, t := range s.failures[key] {
		if now.Sub(t) < loginWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(s.failures, key)
	} else {
		s.failures[key] = recent
	}
	return len(recent) >= max
}

func (s *Service) fail(now time.Time, keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 100_000 {
		clear(s.failures)
	}
	for _, k := range keys {
		s.failures[k] = append(s.failures[k], now)
	}
}

// SignIn checks email and password and opens a session, returning the person, the
// session and the cookie token (shown only here). client identifies the caller (an IP
// address) for throttling: after loginPerEmail failures for an address or loginPerIP
// for a client within 15 minutes, CodeTooManyRequests. Wrong credentials:
// CodeUnauthorized, the same message whether the address exists or not.
func (s *Service) SignIn(ctx context.Context, email, password, client string) (Person, Session, string, error) {
	now := s.now()
	email = strings.ToLower(strings.TrimSpace(email))
	ek, ck := "email:"+email, "client:"+client
	if s.throttled(ek, loginPerEmail, now) || s.throttled(ck, loginPerIP, now) {
		return Person{}, Session{}, "", capture.Errorf(capture.CodeTooManyRequests, "too many failed sign-ins: try again in %d minutes", int(loginWindow.Minutes()))
	}
	bad := capture.Errorf(capture.CodeUnauthorized, "wrong email or password")
	if email == "" || password == "" || len(password) > MaxPassword*4 {
		s.fail(now, ek, ck)
		return Person{}, Session{}, "", bad
	}
	p, err := s.store.PersonByEmail(ctx, email)
	if err != nil && capture.ErrorCode(err) != capture.CodeNotFound {
		return Person{}, Session{}, "", err
	}
	select {
	case s.kdf <- struct{}{}:
	case <-ctx.Done():
		return Person{}, Session{}, "", capture.Errorf(capture.CodeUnavailable, "request cancelled")
	}
	var ok bool
	if err == nil {
		ok = capture.VerifySecret(password, p.PasswordHash)
	} else {
		s.dummyOnce.Do(func() { s.dummy, _ = capture.HashSecret("not a password of anyone") })
		capture.VerifySecret(password, s.dummy)
	}
	<-s.kdf
	if !ok {
		s.fail(now, ek, ck)
		return Person{}, Session{}, "", bad
	}
	tok, err := newToken()
	if err != nil {
		return Person{}, Session{}, "", err
	}
	csrf, err := newToken()
	if err != nil {
		return Person{}, Session{}, "", err
	}
	sess := Session{TokenHash: tokenHash(tok), PersonID: p.ID, CSRF: csrf, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(SessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return Person{}, Session{}, "", err
	}
	return p, sess, tok, nil
}

// SessionPerson returns the person and session of a cookie token; CodeUnauthorized for
// an unknown or expired session.
func (s *Service) SessionPerson(ctx context.Context, token string) (Person, Session, error) {
	none := capture.Errorf(capture.CodeUnauthorized, "not signed in")
	if token == "" || len(token) > 100 {
		return Person{}, Session{}, none
	}
	sess, err := s.store.Session(ctx, tokenHash(token))
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return Person{}, Session{}, none
	}
	if err != nil {
		return Person{}, Session{}, err
	}
	if !s.now().Before(sess.ExpiresAt) {
		_ = s.store.DeleteSession(ctx, sess.TokenHash)
		return Person{}, Session{}, none
	}
	p, err := s.store.Person(ctx, sess.PersonID)
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return Person{}, Session{}, none
	}
	return p, sess, err
}

// SignOut ends the session of token; an unknown token is not an error.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, tokenHash(token))
}

// Person returns the person with id, or CodeNotFound.
func (s *Service) Person(ctx context.Context, id int64) (Person, error) {
	return s.store.Person(ctx, id)
}

// PersonByEmail returns the person with email (any case), or CodeNotFound.
func (s *Service) PersonByEmail(ctx context.Context, email string) (Person, error) {
	return s.store.PersonByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
}

// SetRole changes a person's role. CodeForbidden unless by is an admin; CodeInvalid
// for an unknown role.
func (s *Service) SetRole(ctx context.Context, by Person, id int64, role Role) error {
	if by.Role != RoleAdmin {
		return forbidden("only admins can change roles")
	}
	if _, ok := ParseRole(string(role)); !ok {
		return invalid("role: must be member, moderator or admin")
	}
	return s.store.SetRole(ctx, id, role)
}

// NormalTeam trims a team name; "" (no team) is allowed. CodeInvalid for more than
// MaxTeam characters, invalid UTF-8 or control characters.
func NormalTeam(team string) (string, error) {
	team = strings.TrimSpace(team)
	if !utf8.ValidString(team) || utf8.RuneCountInString(team) > MaxTeam || strings.ContainsFunc(team, unicode.IsControl) {
		return "", invalid("team: must be at most %d characters of text", MaxTeam)
	}
	return team, nil
}

// SetTeam changes a person's team ("" : none). CodeForbidden unless by is an admin;
// CodeInvalid for a team NormalTeam refuses; CodeNotFound for an unknown person.
// Report figures count the new team for statements rolled up after the change.
func (s *Service) SetTeam(ctx context.Context, by Person, id int64, team string) error {
	if by.Role != RoleAdmin {
		return forbidden("only admins can change teams")
	}
	return s.Admin().SetTeam(ctx, id, team)
}

// Admin is person management for a caller that has checked the admin right itself:
// the console behind the hub's admin sign-in, and the command line.
type Admin struct{ s *Service }

// Admin returns the service's person management for trusted callers.
func (s *Service) Admin() Admin { return Admin{s} }

// ListPeople is Service.ListPeople.
func (a Admin) ListPeople(ctx context.Context, q PeopleQuery) ([]Person, bool, error) {
	return a.s.ListPeople(ctx, q)
}

// Person returns the person with id, or CodeNotFound.
func (a Admin) Person(ctx context.Context, id int64) (Person, error) {
	return a.s.store.Person(ctx, id)
}

// SetRole sets a person's role: CodeInvalid for an unknown role, CodeNotFound for an
// unknown person; a repeat is a no-op.
func (a Admin) SetRole(ctx context.Context, id int64, role Role) error {
	if _, ok := ParseRole(string(role)); !ok {
		return invalid("role: must be member, moderator or admin")
	}
	return a.s.store.SetRole(ctx, id, role)
}

// SetTeam sets a person's team ("" : none): CodeInvalid for a team NormalTeam refuses,
// CodeNotFound for an unknown person; a repeat is a no-op. Report figures count the
// new team for statements rolled up after the change.
func (a Admin) SetTeam(ctx context.Context, id int64, team string) error {
	team, err := NormalTeam(team)
	if err != nil {
		return err
	}
	return a.s.store.SetTeam(ctx, id, team)
}

// ListPeople returns a page of people matching q (Limit clamped to 1..100) and whether
// more follow.
func (s *Service) ListPeople(ctx context.Context, q PeopleQuery) ([]Person, bool, error) {
	q.Text = strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(q.Text) > 254 {
		return nil, false, invalid("search: at most 254 characters")
	}
	q.Limit = min(max(q.Limit, 1), maxListLimit)
	want := q.Limit
	q.Limit++
	list, err := s.store.ListPeople(ctx, q)
	if err != nil {
		return nil, false, err
	}
	if len(list) > want {
		return list[:want], true, nil
	}
	return list, false, nil
}

// TopAnswerers returns the most helpful answerers (see Store.TopAnswerers), at most
// limit (clamped to 1..100), with their names.
func (s *Service) TopAnswerers(ctx context.Context, limit int) ([]Answerer, error) {
	list, err := s.store.TopAnswerers(ctx, min(max(limit, 1), maxListLimit))
	if err != nil || len(list) == 0 {
		return list, err
	}
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.PersonID
	}
	people, err := s.store.People(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Name = people[list[i].PersonID].Name
	}
	return list, nil
}

// OldestUnanswered returns the questions waiting longest for an answer, at most limit
// (clamped to 1..100).
func (s *Service) OldestUnanswered(ctx context.Context, limit int) ([]Post, error) {
	return s.store.OldestUnanswered(ctx, min(max(limit, 1), maxListLimit))
}

// --- posts ---

var tagPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9+#.\-]*$`)

// NormalizeTags lower-cases, trims and de-duplicates tags and checks them: 1 to
// MaxTags tags of at most MaxTagLen characters from a-z, 0-9, +, #, . and -.
func NormalizeTags(tags []string) ([]string, error) {
	var out []string
	for _, t := range tags {
		for _, f := range strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' }) {
			f = strings.ToLower(strings.TrimSpace(f))
			if f == "" || slices.Contains(out, f) {
				continue
			}
			if len(f) > MaxTagLen || !tagPattern.MatchString(f) {
				return nil, invalid("tags: %q is not a tag (letters, digits, + # . - and at most %d characters)", excerpt(f, 40), MaxTagLen)
			}
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, invalid("tags: give at least one tag")
	}
	if len(out) > MaxTags {
		return nil, invalid("tags: at most %d tags, not %d", MaxTags, len(out))
	}
	return out, nil
}

func checkTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	n := utf8.RuneCountInString(title)
	if n < MinTitle || n > MaxTitle {
		return "", invalid("title: must be %d to %d characters, not %d", MinTitle, MaxTitle, n)
	}
	if !utf8.ValidString(title) {
		return "", invalid("title: not valid text")
	}
	return title, nil
}

func checkBody(field, body string, min, max int) (string, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if !utf8.ValidString(body) {
		return "", invalid("%s: not valid text", field)
	}
	n := utf8.RuneCountInString(body)
	if n < min || n > max {
		return "", invalid("%s: must be %d to %d characters, not %d", field, min, max, n)
	}
	return body, nil
}

// Ask posts a question and records "asked". CodeInvalid for a title outside
// MinTitle..MaxTitle, an empty or oversized body, or bad tags; CodeForbidden without
// the ask privilege.
func (s *Service) Ask(ctx context.Context, asker Person, title, body string, tags []string) (Post, error) {
	if !s.Can(asker, PrivAsk) {
		return Post{}, forbidden("asking needs %d reputation", s.privs[PrivAsk])
	}
	title, err := checkTitle(title)
	if err != nil {
		return Post{}, err
	}
	if body, err = checkBody("body", body, 1, MaxBody); err != nil {
		return Post{}, err
	}
	if tags, err = NormalizeTags(tags); err != nil {
		return Post{}, err
	}
	now := s.now().UTC()
	q, err := s.store.CreatePost(ctx, Post{Kind: KindQuestion, AuthorID: asker.ID, Title: title, Body: body, Tags: tags, Version: 1, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return Post{}, err
	}
	q.AuthorName = asker.Name
	s.record(ctx, q.ID, statement(actor(asker), VerbAsked, "asked", s.questionActivity(q), nil, s.qaContext(q, false), now))
	followers, err := s.store.TagFollowers(ctx, tags)
	if err != nil {
		s.log.Warn("cannot list tag followers", "err", err)
	}
	for _, id := range followers {
		if id == asker.ID {
			continue
		}
		tag := s.followedTag(ctx, id, tags)
		s.notify(ctx, id, Notification{Kind: NotifyFollowedTag, Tag: tag, URL: s.QuestionIRI(q.ID)}, asker, q, q.Body)
	}
	s.mentions(ctx, asker, q, q.Body)
	return q, nil
}

// followedTag returns the first of tags that person follows.
func (s *Service) followedTag(ctx context.Context, person int64, tags []string) string {
	followed, err := s.store.FollowedTags(ctx, person)
	if err == nil {
		for _, t := range tags {
			if slices.Contains(followed, t) {
				return t
			}
		}
	}
	return tags[0]
}

// notify fills n from the actor and question and delivers it to recipient, logging a
// failed delivery.
func (s *Service) notify(ctx context.Context, recipient int64, n Notification, by Person, q Post, text string) {
	p, err := s.store.Person(ctx, recipient)
	if err != nil {
		s.log.Warn("notification recipient", "id", recipient, "err", err)
		return
	}
	n.RecipientID, n.RecipientEmail = p.ID, p.Email
	n.ActorID, n.ActorName = by.ID, by.Name
	n.QuestionID, n.QuestionTitle = q.ID, q.Title
	n.Excerpt = excerpt(text, 200)
	n.At = s.now().UTC()
	if err := s.notifier.Notify(ctx, n); err != nil {
		s.log.Warn("notification not delivered", "kind", n.Kind, "to", p.ID, "err", err)
	}
}

var mentionPattern = regexp.MustCompile(`(?:^|[\s(])@([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})`)

// mentions notifies the people a text names as @email (at most 10, not the author).
func (s *Service) mentions(ctx context.Context, by Person, q Post, text string) {
	seen := map[string]bool{}
	for _, m := range mentionPattern.FindAllStringSubmatch(text, 10) {
		email := strings.ToLower(m[1])
		if seen[email] || email == by.Email {
			continue
		}
		seen[email] = true
		p, err := s.store.PersonByEmail(ctx, email)
		if err != nil {
			continue
		}
		s.notify(ctx, p.ID, Notification{Kind: NotifyMention, URL: s.QuestionIRI(q.ID)}, by, q, text)
	}
}

// livePost returns the post with id, CodeNotFound when unknown or deleted.
func (s *Service) livePost(ctx context.Context, id int64) (Post, error) {
	p, err := s.store.Post(ctx, id)
	if err != nil {
		return Post{}, err
	}
	if p.Deleted {
		return Post{}, capture.Errorf(capture.CodeNotFound, "post %d was deleted", id)
	}
	return p, nil
}

// liveQuestion returns the question with id, CodeNotFound when unknown, deleted or not a question.
func (s *Service) liveQuestion(ctx context.Context, id int64) (Post, error) {
	q, err := s.livePost(ctx, id)
	if err != nil {
		return Post{}, err
	}
	if q.Kind != KindQuestion {
		return Post{}, capture.Errorf(capture.CodeNotFound, "no question %d", id)
	}
	return q, nil
}

// Answer posts an answer to question questionID and records "answered" with the
// question as parent. CodeNotFound for an unknown or deleted question; CodeInvalid
// for an empty or oversized body; CodeConflict when the question is closed.
func (s *Service) Answer(ctx context.Context, person Person, questionID int64, body string) (Post, error) {
	if !s.Can(person, PrivAnswer) {
		return Post{}, forbidden("answering needs %d reputation", s.privs[PrivAnswer])
	}
	body, err := checkBody("body", body, 1, MaxBody)
	if err != nil {
		return Post{}, err
	}
	q, err := s.liveQuestion(ctx, questionID)
	if err != nil {
		return Post{}, err
	}
	if q.DuplicateOf != 0 {
		return Post{}, capture.Errorf(capture.CodeConflict, "this question is closed as a duplicate of question %d: answer there", q.DuplicateOf)
	}
	now := s.now().UTC()
	a, err := s.store.CreatePost(ctx, Post{Kind: KindAnswer, QuestionID: q.ID, ParentID: q.ID, AuthorID: person.ID, Body: body, Version: 1, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return Post{}, err
	}
	a.AuthorName = person.Name
	s.record(ctx, a.ID, statement(actor(person), VerbAnswered, "answered", s.answerActivity(a, q),
		map[string]any{"response": excerpt(a.Body, 1000)}, s.qaContext(q, true), now))
	if q.AuthorID != person.ID {
		s.notify(ctx, q.AuthorID, Notification{Kind: NotifyAnswer, URL: s.AnswerURL(q.ID, a.ID)}, person, q, a.Body)
	}
	s.mentions(ctx, person, q, a.Body)
	return a, nil
}

// AnswerURL returns the link to an answer on its question's page.
func (s *Service) AnswerURL(questionID, answerID int64) string {
	return s.QuestionIRI(questionID) + "#answer-" + itoa(answerID)
}

// Comment posts a comment on a question or answer and records "commented" on it.
// CodeNotFound for an unknown or deleted post or a comment as target; CodeInvalid for
// a comment outside MinComment..MaxComment.
func (s *Service) Comment(ctx context.Context, person Person, postID int64, body string) (Post, error) {
	if !s.Can(person, PrivComment) {
		return Post{}, forbidden("commenting needs %d reputation", s.privs[PrivComment])
	}
	body, err := checkBody("comment", body, MinComment, MaxComment)
	if err != nil {
		return Post{}, err
	}
	target, err := s.livePost(ctx, postID)
	if err != nil {
		return Post{}, err
	}
	if target.Kind == KindComment {
		return Post{}, capture.Errorf(capture.CodeNotFound, "comments are on questions and answers")
	}
	q := target
	if target.Kind == KindAnswer {
		if q, err = s.liveQuestion(ctx, target.QuestionID); err != nil {
			return Post{}, err
		}
	}
	now := s.now().UTC()
	c, err := s.store.CreatePost(ctx, Post{Kind: KindComment, QuestionID: q.ID, ParentID: target.ID, AuthorID: person.ID, Body: body, Version: 1, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return Post{}, err
	}
	c.AuthorName = person.Name
	s.record(ctx, c.ID, statement(actor(person), VerbCommented, "commented", s.postActivity(target, q),
		map[string]any{"response": excerpt(c.Body, 1000)}, s.qaContext(q, target.Kind != KindQuestion), now))
	if target.AuthorID != person.ID {
		s.notify(ctx, target.AuthorID, Notification{Kind: NotifyComment, URL: s.QuestionIRI(q.ID) + "#post-" + itoa(target.ID)}, person, q, c.Body)
	}
	s.mentions(ctx, person, q, c.Body)
	return c, nil
}

// Vote sets person's vote on a question or answer to value (1 up, -1 down, 0
// withdraw) and records "voted-up"/"voted-down". CodeForbidden on one's own post or
// without the privilege; CodeConflict when the vote is already value (a second vote)
// or changed meanwhile; CodeInvalid for another value. It returns the post after.
func (s *Service) Vote(ctx context.Context, person Person, postID int64, value int) (Post, error) {
	if value < -1 || value > 1 {
		return Post{}, invalid("vote: must be 1 (up), -1 (down) or 0 (withdraw)")
	}
	p, err := s.livePost(ctx, postID)
	if err != nil {
		return Post{}, err
	}
	if p.Kind == KindComment {
		return Post{}, invalid("vote: comments take no votes")
	}
	if p.AuthorID == person.ID {
		return Post{}, forbidden("you cannot vote on your own post")
	}
	if value == 1 && !s.Can(person, PrivVoteUp) {
		return Post{}, forbidden("voting up needs %d reputation (you have %d)", s.privs[PrivVoteUp], person.Reputation)
	}
	if value == -1 && !s.Can(person, PrivVoteDown) {
		return Post{}, forbidden("voting down needs %d reputation (you have %d)", s.privs[PrivVoteDown], person.Reputation)
	}
	prev, err := s.store.Vote(ctx, person.ID, postID)
	if err != nil {
		return Post{}, err
	}
	if prev == value {
		if value == 0 {
			return Post{}, capture.Errorf(capture.CodeConflict, "you have not voted on this post")
		}
		return Post{}, capture.Errorf(capture.CodeConflict, "you already voted on this post")
	}
	now := s.now().UTC()
	if err := s.store.ApplyVote(ctx, VoteChange{VoterID: person.ID, PostID: postID, Prev: prev, Value: value, At: now,
		Reputation: voteReputation(person.ID, p.AuthorID, p.Kind, prev, value)}); err != nil {
		return Post{}, err
	}
	p.Score += value - prev
	q := p
	if p.Kind == KindAnswer {
		if q, err = s.store.Post(ctx, p.QuestionID); err != nil {
			return Post{}, err
		}
	}
	iri := s.postActivity(p, q)["id"].(string)
	if prev != 0 {
		// The record keeps one vote per person and post, like the hub: the earlier one goes.
		s.voidEarlier(ctx, person, voteVerb(prev), iri)
	}
	if value != 0 {
		name := "voted up"
		if value < 0 {
			name = "voted down"
		}
		s.record(ctx, p.ID, statement(actor(person), voteVerb(value), name, s.postActivity(p, q), nil, s.qaContext(q, p.Kind == KindAnswer), now))
	}
	return p, nil
}

// MyVote returns person's vote on a post: -1, 0 or 1.
func (s *Service) MyVote(ctx context.Context, person Person, postID int64) (int, error) {
	return s.store.Vote(ctx, person.ID, postID)
}

// Accept makes answerID the accepted answer of its question and records the asker's
// "accepted". CodeForbidden unless person asked the question; CodeConflict when it
// is already the accepted answer or changed meanwhile.
func (s *Service) Accept(ctx context.Context, person Person, answerID int64) error {
	a, err := s.livePost(ctx, answerID)
	if err != nil {
		return err
	}
	if a.Kind != KindAnswer {
		return capture.Errorf(capture.CodeNotFound, "no answer %d", answerID)
	}
	q, err := s.liveQuestion(ctx, a.QuestionID)
	if err != nil {
		return err
	}
	if q.AuthorID != person.ID {
		return forbidden("only the person who asked can accept an answer")
	}
	if q.AcceptedID == a.ID {
		return capture.Errorf(capture.CodeConflict, "this answer is already accepted")
	}
	var prevOwner int64
	if q.AcceptedID != 0 {
		if prev, err := s.store.Post(ctx, q.AcceptedID); err == nil {
			prevOwner = prev.AuthorID
		}
	}
	if err := s.store.Accept(ctx, AcceptChange{QuestionID: q.ID, Prev: q.AcceptedID, AnswerID: a.ID,
		Reputation: acceptReputation(q.AuthorID, prevOwner, a.AuthorID)}); err != nil {
		return err
	}
	if q.AcceptedID != 0 {
		s.voidEarlier(ctx, person, VerbAccepted, s.AnswerIRI(q.AcceptedID))
	}
	s.record(ctx, a.ID, statement(actor(person), VerbAccepted, "accepted", s.answerActivity(a, q), nil, s.qaContext(q, true), s.now()))
	if a.AuthorID != person.ID {
		s.notify(ctx, a.AuthorID, Notification{Kind: NotifyAccepted, URL: s.AnswerURL(q.ID, a.ID)}, person, q, a.Body)
	}
	return nil
}

// MayEdit reports whether person may edit post: its author, a moderator, or someone
// with the edit_others privilege.
func (s *Service) MayEdit(person Person, post Post) bool {
	return person.ID == post.AuthorID || s.Can(person, PrivEditOther)
}

// MayDelete reports whether person may delete post: its author or a moderator.
func (s *Service) MayDelete(person Person, post Post) bool {
	return person.ID == post.AuthorID || person.Role.Moderates()
}

// Edit replaces a post's content, keeping the old one as a revision. version is the
// version the editor saw: CodeConflict when the post changed since (a stale form).
// Title and tags apply to questions only. CodeForbidden without the right to edit.
func (s *Service) Edit(ctx context.Context, person Person, postID int64, version int, title, body string, tags []string) (Post, error) {
	p, err := s.livePost(ctx, postID)
	if err != nil {
		return Post{}, err
	}
	if !s.MayEdit(person, p) {
		return Post{}, forbidden("only the author, moderators and people with %d reputation can edit this post", s.privs[PrivEditOther])
	}
	if version != p.Version {
		return Post{}, capture.Errorf(capture.CodeConflict, "this post was changed since you opened it (version %d, now %d): reload and edit again", version, p.Version)
	}
	rev := Revision{PostID: p.ID, Version: p.Version, EditorID: person.ID, Title: p.Title, Body: p.Body, Tags: p.Tags, CreatedAt: s.now().UTC()}
	switch p.Kind {
	case KindQuestion:
		if p.Title, err = checkTitle(title); err != nil {
			return Post{}, err
		}
		if p.Tags, err = NormalizeTags(tags); err != nil {
			return Post{}, err
		}
		p.Body, err = checkBody("body", body, 1, MaxBody)
	case KindAnswer:
		p.Body, err = checkBody("body", body, 1, MaxBody)
	default:
		p.Body, err = checkBody("comment", body, MinComment, MaxComment)
	}
	if err != nil {
		return Post{}, err
	}
	p.UpdatedAt = rev.CreatedAt
	if err := s.store.EditPost(ctx, p, rev); err != nil {
		return Post{}, err
	}
	p.Version++
	return p, nil
}

// Revisions returns a post's earlier contents, newest first; CodeNotFound for an unknown post.
func (s *Service) Revisions(ctx context.Context, postID int64) ([]Revision, error) {
	if _, err := s.store.Post(ctx, postID); err != nil {
		return nil, err
	}
	return s.store.Revisions(ctx, postID)
}

// Delete deletes a post (a question with its whole thread) and voids the statements
// recorded for it. CodeForbidden unless person wrote it or moderates; deleting a
// deleted post is CodeNotFound.
func (s *Service) Delete(ctx context.Context, person Person, postID int64) error {
	p, err := s.livePost(ctx, postID)
	if err != nil {
		return err
	}
	if !s.MayDelete(person, p) {
		return forbidden("only the author and moderators can delete this post")
	}
	ids := []int64{p.ID}
	if p.Kind != KindComment {
		thread, err := s.store.Thread(ctx, p.QuestionID)
		if err != nil {
			return err
		}
		for _, t := range thread {
			if p.Kind == KindQuestion || t.ParentID == p.ID {
				ids = append(ids, t.ID)
			}
		}
	}
	stmtIDs, err := s.store.StatementsOf(ctx, ids)
	if err != nil {
		return err
	}
	if err := s.store.DeletePost(ctx, p.ID); err != nil {
		return err
	}
	if err := s.void(ctx, person, stmtIDs); err != nil {
		s.log.Error("cannot void the statements of a deleted post", "post", p.ID, "err", err)
	}
	return nil
}

// CloseAsDuplicate closes question id as a duplicate of question of. CodeForbidden
// without the privilege (moderators have it); CodeInvalid for a question itself;
// CodeNotFound for an unknown question.
func (s *Service) CloseAsDuplicate(ctx context.Context, person Person, id, of int64) error {
	if !s.Can(person, PrivCloseDup) {
		return forbidden("closing needs %d reputation or a moderator", s.privs[PrivCloseDup])
	}
	if id == of {
		return invalid("duplicate: a question cannot duplicate itself")
	}
	if _, err := s.liveQuestion(ctx, id); err != nil {
		return err
	}
	if _, err := s.liveQuestion(ctx, of); err != nil {
		return err
	}
	return s.store.CloseAsDuplicate(ctx, id, of)
}

// Thread is a question page: the question, its answers (accepted first, then by
// score) and the comments of each post.
type Thread struct {
	Question Post
	Answers  []Post
	Comments map[int64][]Post // post id → its comments, oldest first
}

// Question returns a question that is not deleted, or CodeNotFound.
func (s *Service) Question(ctx context.Context, id int64) (Post, error) {
	q, err := s.liveQuestion(ctx, id)
	if err != nil {
		return Post{}, err
	}
	s.fillNames(ctx, []*Post{&q})
	return q, nil
}

// Thread returns question id with its answers and comments, or CodeNotFound.
func (s *Service) Thread(ctx context.Context, id int64) (Thread, error) {
	q, err := s.liveQuestion(ctx, id)
	if err != nil {
		return Thread{}, err
	}
	posts, err := s.store.Thread(ctx, id)
	if err != nil {
		return Thread{}, err
	}
	t := Thread{Question: q, Comments: map[int64][]Post{}}
	ptrs := []*Post{&t.Question}
	for i := range posts {
		ptrs = append(ptrs, &posts[i])
	}
	s.fillNames(ctx, ptrs)
	for _, p := range posts {
		if p.Kind == KindAnswer {
			t.Answers = append(t.Answers, p)
		} else {
			t.Comments[p.ParentID] = append(t.Comments[p.ParentID], p)
		}
	}
	slices.SortStableFunc(t.Answers, func(a, b Post) int {
		if (a.ID == q.AcceptedID) != (b.ID == q.AcceptedID) {
			if a.ID == q.AcceptedID {
				return -1
			}
			return 1
		}
		return b.Score - a.Score
	})
	return t, nil
}

// fillNames sets AuthorName on posts.
func (s *Service) fillNames(ctx context.Context, posts []*Post) {
	var ids []int64
	for _, p := range posts {
		if !slices.Contains(ids, p.AuthorID) {
			ids = append(ids, p.AuthorID)
		}
	}
	people, err := s.store.People(ctx, ids)
	if err != nil {
		s.log.Warn("cannot read author names", "err", err)
		return
	}
	for _, p := range posts {
		p.AuthorName = people[p.AuthorID].Name
	}
}

// Questions returns a page of questions matching q and whether more follow; the next
// page starts after the last one returned. CodeInvalid for a query over 200 characters.
func (s *Service) Questions(ctx context.Context, q QuestionQuery) ([]Post, bool, error) {
	q.Text = strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(q.Text) > 200 {
		return nil, false, invalid("q: at most 200 characters")
	}
	if q.Tag != "" {
		q.Tag = strings.ToLower(strings.TrimSpace(q.Tag))
	}
	if q.Sort == "" {
		q.Sort = SortNewest
	}
	if q.Limit <= 0 || q.Limit > maxListLimit {
		q.Limit = 20
	}
	want := q.Limit
	q.Limit++
	list, err := s.store.ListQuestions(ctx, q)
	if err != nil {
		return nil, false, err
	}
	more := len(list) > want
	if more {
		list = list[:want]
	}
	ptrs := make([]*Post, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	s.fillNames(ctx, ptrs)
	return list, more, nil
}

// Similar returns up to limit questions sharing words with title (for suggestions
// while a question is typed); words under 3 letters are ignored.
func (s *Service) Similar(ctx context.Context, title string, limit int) ([]Post, error) {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}) {
		if utf8.RuneCountInString(w) >= 3 && !slices.Contains(words, w) && len(words) < 8 {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return nil, nil
	}
	list, _, err := s.Questions(ctx, QuestionQuery{Text: strings.Join(words, " "), AnyWord: true, Limit: limit})
	return list, err
}

// TopQuestions returns the most voted questions asked since since (for chat digests).
func (s *Service) TopQuestions(ctx context.Context, since time.Time, limit int) ([]Post, error) {
	list, _, err := s.Questions(ctx, QuestionQuery{Since: since, Sort: SortVotes, Limit: limit})
	return list, err
}

// UnansweredQuestions returns the newest questions without answers asked since since.
func (s *Service) UnansweredQuestions(ctx context.Context, since time.Time, limit int) ([]Post, error) {
	list, _, err := s.Questions(ctx, QuestionQuery{Since: since, Sort: SortUnanswered, Limit: limit})
	return list, err
}

// PostsBy returns a person's questions or answers, newest first.
func (s *Service) PostsBy(ctx context.Context, personID int64, kind PostKind, limit int) ([]Post, error) {
	return s.store.PostsBy(ctx, personID, kind, limit)
}

// Tags returns the most used tags (with prefix, "" for all).
func (s *Service) Tags(ctx context.Context, prefix string, limit int) ([]Tag, error) {
	return s.store.Tags(ctx, strings.ToLower(strings.TrimSpace(prefix)), limit)
}

// Tag returns one tag or CodeNotFound.
func (s *Service) Tag(ctx context.Context, name string) (Tag, error) { return s.store.Tag(ctx, name) }

// Follow makes person follow a tag (on) or stop; CodeInvalid for a malformed tag.
func (s *Service) Follow(ctx context.Context, person Person, tag string, on bool) error {
	tags, err := NormalizeTags([]string{tag})
	if err != nil || len(tags) != 1 {
		return invalid("tag: %q is not a tag", excerpt(tag, 40))
	}
	return s.store.Follow(ctx, person.ID, tags[0], on)
}

// FollowedTags returns the tags person follows.
func (s *Service) FollowedTags(ctx context.Context, person Person) ([]string, error) {
	return s.store.FollowedTags(ctx, person.ID)
}

// Notifications returns a person's inbox, newest first, and how many are unread.
func (s *Service) Notifications(ctx context.Context, person Person, limit int) ([]StoredNotification, int, error) {
	list, err := s.store.Notifications(ctx, person.ID, limit)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.UnreadNotifications(ctx, person.ID)
	return list, n, err
}

// UnreadNotifications counts a person's unread notifications.
func (s *Service) UnreadNotifications(ctx context.Context, person Person) (int, error) {
	return s.store.UnreadNotifications(ctx, person.ID)
}

// MarkNotificationsRead marks a person's inbox read.
func (s *Service) MarkNotificationsRead(ctx context.Context, person Person) error {
	return s.store.MarkNotificationsRead(ctx, person.ID)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Post returns any post by id (deleted ones flagged), or CodeNotFound.
func (s *Service) Post(ctx context.Context, id int64) (Post, error) { return s.store.Post(ctx, id) }

// voteVerb is the verb of a vote value (1 or -1).
func voteVerb(v int) string {
	if v < 0 {
		return VerbVotedDown
	}
	return VerbVotedUp
}
