package qa

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/google/uuid"
)

// Statements is the part of the LRS core the hub records through; it is satisfied by
// *capture.StatementService. The hub never touches the statement store itself.
type Statements interface {
	Write(ctx context.Context, req capture.WriteRequest) ([]string, error)
	Read(ctx context.Context, req capture.ReadRequest) (capture.ReadResult, error)
}

// Vocabulary (design.md §5). VerbAccepted is the Activity Streams "accept" verb from the
// xAPI registry ("the actor has accepted the object"): the asker accepted an answer.
// Answers are activities of ActivityTypeAnswer, a type in Cairn's own namespace.
const (
	Platform             = "Cairn Q&A"
	VerbAsked            = "http://adlnet.gov/expapi/verbs/asked"
	VerbAnswered         = "http://adlnet.gov/expapi/verbs/answered"
	VerbCommented        = "http://adlnet.gov/expapi/verbs/commented"
	VerbVotedUp          = "http://id.tincanapi.com/verb/voted-up"
	VerbVotedDown        = "http://id.tincanapi.com/verb/voted-down"
	VerbAccepted         = "http://activitystrea.ms/schema/1.0/accept"
	VerbVoided           = "http://adlnet.gov/expapi/verbs/voided"
	ActivityTypeQuestion = "http://adlnet.gov/expapi/activities/question"
	ActivityTypeAnswer   = "https://cairn-lrs.github.io/xapi/activity-types/answer"
	// CategorySelfReported marks statements a person recorded by hand (Record learning);
	// only those can be voided by the person from their learning record.
	CategorySelfReported = "https://cairn-lrs.github.io/xapi/categories/self-reported"
	// AuthorityName is the account name of the hub's own agent, the authority of every
	// statement it writes (account{homePage: base URL, name: AuthorityName}).
	AuthorityName = "cairn-qa"
	lang          = "en-US"
)

// QuestionIRI returns the activity id of a question.
func (s *Service) QuestionIRI(id int64) string { return fmt.Sprintf("%s/questions/%d", s.base, id) }

// AnswerIRI returns the activity id of an answer.
func (s *Service) AnswerIRI(id int64) string { return fmt.Sprintf("%s/answers/%d", s.base, id) }

// TagIRI returns the activity id of a tag (its page).
func (s *Service) TagIRI(tag string) string { return s.base + "/tags/" + tag }

// principal is the hub writing as itself.
func (s *Service) principal() capture.Principal {
	auth := map[string]any{"objectType": "Agent", "name": Platform,
		"account": map[string]any{"homePage": s.base, "name": AuthorityName}}
	return capture.Principal{
		Credential:   capture.Credential{Key: AuthorityName, Name: Platform, Scopes: []string{capture.ScopeStatementsWrite, capture.ScopeDefine}},
		Authority:    auth,
		AuthorityKey: "account:" + s.base + "|" + AuthorityName,
	}
}

// actor returns the person's agent with their display name.
func actor(p Person) map[string]any {
	a := map[string]any{"objectType": "Agent", "name": p.Name}
	for k, v := range p.Agent {
		if k != "name" && k != "objectType" {
			a[k] = v
		}
	}
	return a
}

// excerpt returns at most n runes of s on one line.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func langMap(s string) map[string]any { return map[string]any{lang: s} }

// questionActivity is a question as an xAPI activity with its definition.
func (s *Service) questionActivity(q Post) map[string]any {
	return map[string]any{"objectType": "Activity", "id": s.QuestionIRI(q.ID), "definition": map[string]any{
		"type": ActivityTypeQuestion, "name": langMap(excerpt(q.Title, 200)), "description": langMap(excerpt(q.Body, 500)),
	}}
}

// answerActivity is an answer as an xAPI activity.
func (s *Service) answerActivity(a Post, q Post) map[string]any {
	return map[string]any{"objectType": "Activity", "id": s.AnswerIRI(a.ID), "definition": map[string]any{
		"type": ActivityTypeAnswer, "name": langMap(excerpt("Answer to: "+q.Title, 200)), "description": langMap(excerpt(a.Body, 500)),
	}}
}

// postActivity is a question or an answer as an activity.
func (s *Service) postActivity(p Post, q Post) map[string]any {
	if p.Kind == KindQuestion {
		return s.questionActivity(p)
	}
	return s.answerActivity(p, q)
}

// qaContext is the context of a hub statement: the platform, the question as parent
// (for anything but the question itself) and the tags as other context activities.
func (s *Service) qaContext(q Post, withParent bool) map[string]any {
	ca := map[string]any{}
	if withParent {
		ca["parent"] = []any{map[string]any{"objectType": "Activity", "id": s.QuestionIRI(q.ID), "definition": map[string]any{"type": ActivityTypeQuestion}}}
	}
	if len(q.Tags) > 0 {
		var other []any
		for _, t := range q.Tags {
			other = append(other, map[string]any{"objectType": "Activity", "id": s.TagIRI(t)})
		}
		ca["other"] = other
	}
	ctx := map[string]any{"platform": Platform, "language": lang}
	if len(ca) > 0 {
		ctx["contextActivities"] = ca
	}
	return ctx
}

// statement assembles one statement with a fresh id.
func statement(actorAgent map[string]any, verbID, verbName string, object, result, context map[string]any, at time.Time) map[string]any {
	st := map[string]any{
		"id":        uuid.NewString(),
		"actor":     actorAgent,
		"verb":      map[string]any{"id": verbID, "display": langMap(verbName)},
		"object":    object,
		"timestamp": at.UTC().Format(time.RFC3339Nano),
	}
	if result != nil {
		st["result"] = result
	}
	if context != nil {
		st["context"] = context
	}
	return st
}

// write records statements through the LRS core in one atomic request and links each
// to its post, so that deleting the post voids it. The statements are decoded by the
// core's strict parser, so what is stored is exactly what any client could have sent.
func (s *Service) write(ctx context.Context, postIDs []int64, stmts ...map[string]any) ([]string, error) {
	raw, err := json.Marshal(stmts)
	if err != nil {
		return nil, capture.Internal(err, "encode statements")
	}
	parsed, _, err := capture.DecodeStatements(raw)
	if err != nil {
		return nil, capture.Internal(err, "hub statement rejected by the parser")
	}
	ids, err := s.stmts.Write(ctx, capture.WriteRequest{Statements: parsed, Principal: s.principal()})
	if err != nil {
		return nil, err
	}
	var links []StatementLink
	for i, id := range ids {
		if i < len(postIDs) && postIDs[i] != 0 {
			links = append(links, StatementLink{PostID: postIDs[i], StatementID: id})
		}
	}
	if len(links) > 0 {
		if err := s.store.LinkStatements(ctx, links); err != nil {
			return ids, err
		}
	}
	return ids, nil
}

// record writes the statement of an action that already happened. A failure is
// logged, not returned: the action stands and the caller's answer reflects it.
func (s *Service) record(ctx context.Context, postID int64, st map[string]any) {
	if _, err := s.write(ctx, []int64{postID}, st); err != nil {
		s.log.Error("cannot record a hub statement", "verb", st["verb"], "post", postID, "err", err)
	}
}

// void writes one voiding statement per id (xAPI 1.0.3 Data 2.2.8 Voided) with by as
// actor. It carries no context: platform is not allowed with a StatementRef object.
func (s *Service) void(ctx context.Context, by Person, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	stmts := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		stmts = append(stmts, statement(actor(by), VerbVoided, "voided",
			map[string]any{"objectType": "StatementRef", "id": id}, nil, nil, s.now()))
	}
	_, err := s.write(ctx, nil, stmts...)
	return err
}

// newStatementID returns a fresh statement id.
func newStatementID() string { return uuid.NewString() }

// voidEarlier voids the statements in which person did verb to activity: a changed
// vote or accepted answer replaces the earlier one in the record too. Failures are
// logged; the action stands.
func (s *Service) voidEarlier(ctx context.Context, person Person, verb, activity string) {
	key, err := capture.AgentKeyOf(person.Agent)
	if err != nil {
		return
	}
	res, err := s.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{AgentKey: key, VerbID: verb, ActivityID: activity, Limit: 50},
		Principal: s.readPrincipal()})
	if err != nil {
		s.log.Error("cannot read earlier hub statements", "verb", verb, "activity", activity, "err", err)
		return
	}
	var ids []string
	for _, raw := range res.Statements {
		var v struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &v) == nil && v.ID != "" {
			ids = append(ids, v.ID)
		}
	}
	if err := s.void(ctx, person, ids); err != nil {
		s.log.Error("cannot void earlier hub statements", "verb", verb, "activity", activity, "err", err)
	}
}
