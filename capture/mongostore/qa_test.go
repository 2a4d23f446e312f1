package mongostore

import (
	"context"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// TestQAServiceOnMongo runs the hub's main flow through qa.Service on this adapter,
// with statements written through the LRS core into the same database.
func TestQAServiceOnMongo(t *testing.T) {
	s, _ := openFresh(t, defaultConfig())
	ctx := context.Background()
	stmts := capture.NewStatementService(capture.StatementServiceConfig{Store: s})
	svc := qa.NewService(qa.Config{Store: s, Statements: stmts, Notifier: qa.Inbox{Store: s}, BaseURL: "https://hub.example.com",
		AgentHomePage: "https://sso.example.com"})
	ana, err := svc.SignUp(ctx, "ana@example.com", "Ana", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	bo, err := svc.SignUp(ctx, "bo@example.com", "Bo", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := svc.SignIn(ctx, "ana@example.com", "correct horse battery", "test"); err != nil {
		t.Fatal(err)
	}
	q, err := svc.Ask(ctx, ana, "Where are the build logs kept?", "On the CI box?", []string{"ci"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.Answer(ctx, bo, q.ID, "Under /var/log/ci.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Vote(ctx, ana, a.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Vote(ctx, ana, a.ID, 1); capture.ErrorCode(err) != capture.CodeConflict {
		t.Errorf("second vote: %v", err)
	}
	if err := svc.Accept(ctx, ana, a.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Person(ctx, bo.ID); p.Reputation != 26 {
		t.Errorf("answerer reputation = %d, want 26", p.Reputation)
	}
	if list, _, err := svc.Questions(ctx, qa.QuestionQuery{Text: "build logs"}); err != nil || len(list) != 1 || list[0].AcceptedID != a.ID {
		t.Errorf("search = %+v, %v", list, err)
	}
	items, _, err := svc.LearningRecord(ctx, ana, 10, "")
	if err != nil || len(items) != 3 {
		t.Fatalf("asker's learning record = %+v, %v (want asked, voted up, accepted)", items, err)
	}
	key, _ := capture.AgentKeyOf(ana.Agent)
	if key != "account:https://sso.example.com|ana@example.com" {
		t.Errorf("agent key = %s", key)
	}
	if err := svc.Delete(ctx, ana, q.ID); err != nil {
		t.Fatal(err)
	}
	if items, _, _ := svc.LearningRecord(ctx, ana, 10, ""); len(items) != 0 {
		t.Errorf("learning record after deleting the question = %+v", items)
	}
}
