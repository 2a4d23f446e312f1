package qa

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
)

// LearningKind is what a person records by hand.
type LearningKind string

// The kinds of hand-recorded learning, each with its verb and activity type
// (design.md §5).
const (
	LearnConference LearningKind = "conference" // attended a conference
	LearnMeetup     LearningKind = "meetup"     // attended a meetup
	LearnBook       LearningKind = "book"       // read a book
	LearnTalk       LearningKind = "talk"       // watched a talk
	LearnCourse     LearningKind = "course"     // completed a course
	LearnMentoring  LearningKind = "mentoring"  // mentored someone
	LearnOther      LearningKind = "other"      // anything else
)

// learningVocab is the verb (id, display) and activity type of each kind.
type learningVocab struct {
	label, verb, verbName, activityType string
}

func vocabOf(k LearningKind) (learningVocab, bool) {
	switch k {
	case LearnConference:
		return learningVocab{"Attended a conference", "http://adlnet.gov/expapi/verbs/attended", "attended", "http://id.tincanapi.com/activitytype/conference"}, true
	case LearnMeetup:
		return learningVocab{"Attended a meetup", "http://adlnet.gov/expapi/verbs/attended", "attended", "http://adlnet.gov/expapi/activities/meeting"}, true
	case LearnBook:
		return learningVocab{"Read a book", "https://w3id.org/xapi/adb/verbs/read", "read", "http://id.tincanapi.com/activitytype/book"}, true
	case LearnTalk:
		return learningVocab{"Watched a talk", "http://adlnet.gov/expapi/verbs/experienced", "experienced", "http://id.tincanapi.com/activitytype/lecture"}, true
	case LearnCourse:
		return learningVocab{"Completed a course", "http://adlnet.gov/expapi/verbs/completed", "completed", "http://adlnet.gov/expapi/activities/course"}, true
	case LearnMentoring:
		return learningVocab{"Mentored someone", "http://id.tincanapi.com/verb/mentored", "mentored", ""}, true
	case LearnOther:
		return learningVocab{"Something else", "http://adlnet.gov/expapi/verbs/experienced", "experienced", ""}, true
	}
	return learningVocab{}, false
}

// LearningKinds lists the kinds with their labels, in form order.
func LearningKinds() [][2]string {
	var out [][2]string
	for _, k := range []LearningKind{LearnConference, LearnMeetup, LearnBook, LearnTalk, LearnCourse, LearnMentoring, LearnOther} {
		v, _ := vocabOf(k)
		out = append(out, [2]string{string(k), v.label})
	}
	return out
}

// LearningEntry is what the Record learning form holds.
type LearningEntry struct {
	Kind     LearningKind
	Title    string
	URL      string        // optional absolute http(s) URL: the activity id when given
	Date     time.Time     // when it happened (the statement's timestamp); zero: now
	Duration time.Duration // optional; result.duration
	Note     string        // optional; result.response
	Tags     []string      // optional, up to MaxTags
}

// RecordLearning writes the statement of something a person learned away from the
// screen (design.md §5) and returns its id. The activity is the URL when given, else
// a new IRI under the hub; the statement carries CategorySelfReported. CodeInvalid for
// an unknown kind, a title outside 3..200 characters, a URL that is not absolute
// http(s), a date in the future, a negative or over-a-year duration, a note over
// MaxComment or bad tags.
func (s *Service) RecordLearning(ctx context.Context, person Person, e LearningEntry) (string, error) {
	v, ok := vocabOf(e.Kind)
	if !ok {
		return "", invalid("kind: choose what you did")
	}
	title := strings.TrimSpace(e.Title)
	if n := utf8.RuneCountInString(title); n < 3 || n > 200 {
		return "", invalid("title: must be 3 to 200 characters, not %d", n)
	}
	now := s.now().UTC()
	id := ""
	if u := strings.TrimSpace(e.URL); u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || len(u) > 2000 {
			return "", invalid("url: must be an http or https address")
		}
		id = pu.String()
	}
	at := e.Date
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(24 * time.Hour)) {
		return "", invalid("date: must not be in the future")
	}
	if e.Duration < 0 || e.Duration > 366*24*time.Hour {
		return "", invalid("duration: must be between 0 and a year")
	}
	note, err := checkBody("note", e.Note, 0, MaxComment)
	if err != nil {
		return "", err
	}
	var tags []string
	if len(strings.Join(e.Tags, "")) > 0 {
		if tags, err = NormalizeTags(e.Tags); err != nil {
			return "", err
		}
	}
	stmtID := newStatementID()
	if id == "" {
		id = s.base + "/learning/" + stmtID
	}
	def := map[string]any{"name": langMap(title)}
	typ := v.activityType
	if typ == "" && e.URL != "" {
		typ = "http://adlnet.gov/expapi/activities/link"
	}
	if typ != "" {
		def["type"] = typ
	}
	result := map[string]any{}
	if e.Duration > 0 {
		result["duration"] = isoDuration(e.Duration)
	}
	if note != "" {
		result["response"] = note
	}
	if len(result) == 0 {
		result = nil
	}
	cctx := map[string]any{"platform": Platform, "language": lang}
	ca := map[string]any{"category": []any{map[string]any{"objectType": "Activity", "id": CategorySelfReported}}}
	if len(tags) > 0 {
		var other []any
		for _, t := range tags {
			other = append(other, map[string]any{"objectType": "Activity", "id": s.TagIRI(t)})
		}
		ca["other"] = other
	}
	cctx["contextActivities"] = ca
	st := statement(actor(person), v.verb, v.verbName, map[string]any{"objectType": "Activity", "id": id, "definition": def}, result, cctx, at)
	st["id"] = stmtID
	ids, err := s.write(ctx, nil, st)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// isoDuration formats d as an ISO 8601 duration (xAPI 1.0.3 Data 4.6).
func isoDuration(d time.Duration) string {
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 || h == 0 {
		out += fmt.Sprintf("%dM", m)
	}
	return out
}

// LearningItem is one statement of a person's learning record, as the profile shows it.
type LearningItem struct {
	ID           string
	Verb         string // display name
	Object       string // activity name, or its id
	ObjectID     string
	Platform     string
	When         time.Time
	Duration     string
	Note         string
	SelfReported bool // recorded by hand: the person may void it
	verbID       string
}

// LearningRecord returns a page of the statements whose actor is person (from every
// source), newest first, and the more token of the next page ("" at the end).
func (s *Service) LearningRecord(ctx context.Context, person Person, limit int, more string) ([]LearningItem, string, error) {
	key, err := capture.AgentKeyOf(person.Agent)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	res, err := s.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{AgentKey: key, Limit: limit}, More: more, Principal: s.readPrincipal()})
	if err != nil {
		return nil, "", err
	}
	items := make([]LearningItem, 0, len(res.Statements))
	for _, raw := range res.Statements {
		if it := learningItem(raw); it.verbID != VerbVoided {
			items = append(items, it)
		}
	}
	return items, res.More, nil
}

// readPrincipal reads every statement (the record page shows one person's only).
func (s *Service) readPrincipal() capture.Principal {
	p := s.principal()
	p.Credential.Scopes = []string{capture.ScopeStatementsRead}
	return p
}

// stmtView is the part of a statement the learning record shows.
type stmtView struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Verb      struct {
		ID      string            `json:"id"`
		Display map[string]string `json:"display"`
	} `json:"verb"`
	Object struct {
		ID         string `json:"id"`
		Definition struct {
			Name map[string]string `json:"name"`
		} `json:"definition"`
	} `json:"object"`
	Result struct {
		Duration string `json:"duration"`
		Response string `json:"response"`
	} `json:"result"`
	Context struct {
		Platform          string `json:"platform"`
		ContextActivities struct {
			Category []struct {
				ID string `json:"id"`
			} `json:"category"`
		} `json:"contextActivities"`
	} `json:"context"`
	Actor map[string]any `json:"actor"`
}

func learningItem(raw []byte) LearningItem {
	var v stmtView
	_ = json.Unmarshal(raw, &v)
	it := LearningItem{ID: v.ID, Verb: capture.Display(v.Verb.Display), Object: capture.Display(v.Object.Definition.Name), ObjectID: v.Object.ID,
		Platform: v.Context.Platform, Duration: v.Result.Duration, Note: v.Result.Response}
	it.verbID = v.Verb.ID
	if it.Verb == "" {
		it.Verb = v.Verb.ID
	}
	if it.Object == "" {
		it.Object = v.Object.ID
	}
	it.When, _ = time.Parse(time.RFC3339Nano, v.Timestamp)
	for _, c := range v.Context.ContextActivities.Category {
		if c.ID == CategorySelfReported {
			it.SelfReported = true
		}
	}
	return it
}

// VoidLearning voids a statement person recorded by hand. CodeNotFound when no such
// statement is visible; CodeForbidden when it is not person's own hand-recorded entry.
func (s *Service) VoidLearning(ctx context.Context, person Person, statementID string) error {
	statementID = strings.ToLower(strings.TrimSpace(statementID))
	if len(statementID) != 36 {
		return capture.Errorf(capture.CodeNotFound, "no such entry")
	}
	res, err := s.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{StatementID: statementID}, Principal: s.readPrincipal()})
	if err != nil {
		return err
	}
	var v stmtView
	if err := json.Unmarshal(res.Statement, &v); err != nil {
		return capture.Internal(err, "stored statement")
	}
	it := learningItem(res.Statement)
	mine, err1 := capture.AgentKeyOf(person.Agent)
	theirs, err2 := capture.AgentKeyOf(v.Actor)
	if err1 != nil || err2 != nil || mine != theirs || !it.SelfReported {
		return forbidden("you can void only entries you recorded by hand")
	}
	return s.void(ctx, person, []string{statementID})
}
