package mongostore

import (
	"context"
	"encoding/json"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// ErasePerson erases a person's share of the hub; see qa.Store. Without transactions
// it writes one document at a time, each write conditional on the text it read, in
// this order: hub texts, then the person's sessions, follows, notifications and
// invites, then the person row. A failure part way leaves the row as it was, so a
// repeat finds the person again and completes the erasure.
func (s *Store) ErasePerson(ctx context.Context, e qa.PersonErasure) (int, error) {
	agent, err := json.Marshal(e.Agent)
	if err != nil || e.Agent == nil {
		return 0, capture.Errorf(capture.CodeInvalid, "anonymous agent: not a JSON object")
	}
	n, err := s.scrubHubTexts(ctx, e.Strings)
	if err != nil || e.PersonID == 0 {
		return n, err
	}
	var person personDoc
	err = s.qc(collQAPeople).FindOne(ctx, bson.D{{Key: "_id", Value: e.PersonID}}).Decode(&person)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return n, nil
	}
	if err != nil {
		return n, storeErr(err, "cannot read the person")
	}
	if person.Email == qa.ErasedEmail(e.PersonID) {
		return n, nil
	}
	for _, d := range []struct {
		coll   string
		filter bson.D
	}{
		{collQASessions, bson.D{{Key: "personId", Value: e.PersonID}}},
		{collQAFollows, bson.D{{Key: "personId", Value: e.PersonID}}},
		{collQANotifications, bson.D{{Key: "personId", Value: e.PersonID}}},
		{collQAInvites, bson.D{{Key: "email", Value: person.Email}}},
	} {
		res, err := s.qc(d.coll).DeleteMany(ctx, d.filter)
		if err != nil {
			return n, storeErr(err, "cannot erase the person's "+d.coll)
		}
		n += int(res.DeletedCount)
	}
	res, err := s.qc(collQAPeople).UpdateOne(ctx, bson.D{{Key: "_id", Value: e.PersonID}, {Key: "email", Value: person.Email}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: qa.ErasedEmail(e.PersonID)}, {Key: "name", Value: qa.ErasedName},
			{Key: "passwordHash", Value: qa.ErasedPasswordHash}, {Key: "agent", Value: string(agent)}, {Key: "role", Value: string(qa.RoleMember)}}},
			{Key: "$unset", Value: bson.D{{Key: "team", Value: ""}}}})
	if err != nil {
		return n, storeErr(err, "cannot erase the person")
	}
	return n + int(res.ModifiedCount), nil
}

// scrubHubTexts replaces strs in post titles and bodies (and the search words of
// questions), revisions and notification texts, returning how many documents
// changed. Texts are read whole and scrubbed here, so that case folds as in Go on
// MongoDB and FerretDB alike; each update matches the text it read.
func (s *Store) scrubHubTexts(ctx context.Context, strs []string) (int, error) {
	if len(strs) == 0 {
		return 0, nil
	}
	n := 0
	type textDoc struct {
		ID    any    `bson:"_id"`
		Kind  string `bson:"kind"`
		Title string `bson:"title"`
		Body  string `bson:"body"`
		Text  string `bson:"text"`
	}
	for _, c := range []struct {
		coll   string
		fields bson.D
	}{
		{collQAPosts, bson.D{{Key: "kind", Value: 1}, {Key: "title", Value: 1}, {Key: "body", Value: 1}}},
		{collQARevisions, bson.D{{Key: "title", Value: 1}, {Key: "body", Value: 1}}},
		{collQANotifications, bson.D{{Key: "text", Value: 1}}},
	} {
		cur, err := s.qc(c.coll).Find(ctx, bson.D{}, options.Find().SetProjection(c.fields))
		if err != nil {
			return n, storeErr(err, "cannot read "+c.coll)
		}
		var changes []struct{ was, now textDoc }
		for cur.Next(ctx) {
			var d textDoc
			if err := cur.Decode(&d); err != nil {
				cur.Close(ctx)
				return n, storeErr(err, "cannot read "+c.coll)
			}
			title, ok1 := qa.ScrubText(d.Title, strs)
			body, ok2 := qa.ScrubText(d.Body, strs)
			text, ok3 := qa.ScrubText(d.Text, strs)
			if ok1 || ok2 || ok3 {
				changes = append(changes, struct{ was, now textDoc }{d, textDoc{ID: d.ID, Kind: d.Kind, Title: title, Body: body, Text: text}})
			}
		}
		err = cur.Err()
		cur.Close(ctx)
		if err != nil {
			return n, storeErr(err, "cannot read "+c.coll)
		}
		for _, ch := range changes {
			now, was := ch.now, ch.was // the update matches the text as read
			var filter, set bson.D
			if c.coll == collQANotifications {
				filter = bson.D{{Key: "_id", Value: was.ID}, {Key: "text", Value: was.Text}}
				set = bson.D{{Key: "text", Value: now.Text}}
			} else {
				filter = bson.D{{Key: "_id", Value: was.ID}, {Key: "title", Value: was.Title}, {Key: "body", Value: was.Body}}
				set = bson.D{{Key: "title", Value: now.Title}, {Key: "body", Value: now.Body}}
				if c.coll == collQAPosts && now.Kind == string(qa.KindQuestion) {
					set = append(set, bson.E{Key: "words", Value: searchWords(now.Title + " " + now.Body)})
				}
			}
			res, err := s.qc(c.coll).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: set}})
			if err != nil {
				return n, storeErr(err, "cannot scrub "+c.coll)
			}
			n += int(res.ModifiedCount)
		}
	}
	return n, nil
}
