package mongostore

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

// Federation collections: partners (settings as JSON, credentials sealed), job
// states, dead letters and job leases. Settings and letters are kept as JSON bytes,
// which keeps IRIs with dots out of field names.
const (
	collFedPartners = "fedPartners"
	collFedStates   = "fedStates"
	collFedLetters  = "fedDeadLetters"
	collFedLeases   = "fedLeases"
)

var _ federation.Store = (*Store)(nil)

type fedPartnerDoc struct {
	Name   string `bson:"_id"`
	Config []byte `bson:"config"`
	Sealed []byte `bson:"sealed"`
}

type fedStateDoc struct {
	ID      string `bson:"_id"` // partner + "\x00" + direction
	Partner string `bson:"partner"`
	State   []byte `bson:"state"`
}

type fedLetterDoc struct {
	ID      string `bson:"_id"`
	Partner string `bson:"partner"`
	Order   int64  `bson:"order"` // insertion order within this process, after time
	Letter  []byte `bson:"letter"`
}

type fedLeaseDoc struct {
	Job    string `bson:"_id"`
	Holder string `bson:"holder"`
	Until  int64  `bson:"until"` // unix nanoseconds
}

func (s *Store) fed(name string) *mongo.Collection { return s.db.Collection(name) }

func partnerDoc(r federation.PartnerRecord) (fedPartnerDoc, error) {
	cfg, err := json.Marshal(r.Partner)
	return fedPartnerDoc{Name: r.Partner.Name, Config: cfg, Sealed: r.SealedAuth}, err
}

func (d fedPartnerDoc) record() (federation.PartnerRecord, error) {
	r := federation.PartnerRecord{SealedAuth: d.Sealed}
	return r, json.Unmarshal(d.Config, &r.Partner)
}

// CreatePartner stores r; CodeConflict when its name exists.
func (s *Store) CreatePartner(ctx context.Context, r federation.PartnerRecord) error {
	d, err := partnerDoc(r)
	if err != nil {
		return capture.Internal(err, "create partner")
	}
	_, err = s.fed(collFedPartners).InsertOne(ctx, d)
	if mongo.IsDuplicateKeyError(err) {
		return capture.Errorf(capture.CodeConflict, "partner %s exists", r.Partner.Name)
	}
	return storeErr(err, "cannot create the partner")
}

// PutPartner replaces the partner with r's name; CodeNotFound when absent.
func (s *Store) PutPartner(ctx context.Context, r federation.PartnerRecord) error {
	d, err := partnerDoc(r)
	if err != nil {
		return capture.Internal(err, "put partner")
	}
	res, err := s.fed(collFedPartners).ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.Name}}, d)
	if err != nil {
		return storeErr(err, "cannot update the partner")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no partner %s", d.Name)
	}
	return nil
}

// Partner returns the named partner, or CodeNotFound.
func (s *Store) Partner(ctx context.Context, name string) (federation.PartnerRecord, error) {
	var d fedPartnerDoc
	err := s.fed(collFedPartners).FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return federation.PartnerRecord{}, capture.Errorf(capture.CodeNotFound, "no partner %s", name)
	}
	if err != nil {
		return federation.PartnerRecord{}, storeErr(err, "cannot read the partner")
	}
	r, err := d.record()
	if err != nil {
		return r, capture.Internal(err, "partner "+name+" is damaged")
	}
	return r, nil
}

// Partners lists every partner by name.
func (s *Store) Partners(ctx context.Context) ([]federation.PartnerRecord, error) {
	var docs []fedPartnerDoc
	if err := s.findAll(ctx, s.fed(collFedPartners), bson.D{}, &docs, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})); err != nil {
		return nil, err
	}
	out := make([]federation.PartnerRecord, 0, len(docs))
	for _, d := range docs {
		r, err := d.record()
		if err != nil {
			return nil, capture.Internal(err, "partner "+d.Name+" is damaged")
		}
		out = append(out, r)
	}
	return out, nil
}

// DeletePartner removes the partner with its states, dead letters and leases;
// CodeNotFound when absent. The dependents go first, so a failure leaves the partner
// to delete again.
func (s *Store) DeletePartner(ctx context.Context, name string) error {
	if _, err := s.Partner(ctx, name); err != nil {
		return err
	}
	byPartner := bson.D{{Key: "partner", Value: name}}
	if _, err := s.fed(collFedStates).DeleteMany(ctx, byPartner); err != nil {
		return storeErr(err, "cannot delete the partner")
	}
	if _, err := s.fed(collFedLetters).DeleteMany(ctx, byPartner); err != nil {
		return storeErr(err, "cannot delete the partner")
	}
	if _, err := s.fed(collFedLeases).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{"push:" + name, "pull:" + name}}}}}); err != nil {
		return storeErr(err, "cannot delete the partner")
	}
	res, err := s.fed(collFedPartners).DeleteOne(ctx, bson.D{{Key: "_id", Value: name}})
	if err != nil {
		return storeErr(err, "cannot delete the partner")
	}
	if res.DeletedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no partner %s", name)
	}
	return nil
}

// JobState returns a job's state; the zero State when none was saved.
func (s *Store) JobState(ctx context.Context, partner string, dir federation.Direction) (federation.State, error) {
	var st federation.State
	var d fedStateDoc
	err := s.fed(collFedStates).FindOne(ctx, bson.D{{Key: "_id", Value: partner + "\x00" + string(dir)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return st, nil
	}
	if err != nil {
		return st, storeErr(err, "cannot read the job state")
	}
	if err := json.Unmarshal(d.State, &st); err != nil {
		return st, capture.Internal(err, "job state is damaged")
	}
	return st, nil
}

// PutJobState saves a job's state, replacing the previous one.
func (s *Store) PutJobState(ctx context.Context, partner string, dir federation.Direction, st federation.State) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return capture.Internal(err, "put job state")
	}
	id := partner + "\x00" + string(dir)
	_, err = s.fed(collFedStates).ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, fedStateDoc{ID: id, Partner: partner, State: raw},
		options.Replace().SetUpsert(true))
	return storeErr(err, "cannot save the job state")
}

// letterOrder breaks ties between letters added in the same nanosecond.
var letterOrder atomic.Int64

// AddDeadLetters stores letters; a repeat id is CodeConflict and nothing is stored.
func (s *Store) AddDeadLetters(ctx context.Context, letters []federation.DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	ids := make([]string, len(letters))
	docs := make([]any, len(letters))
	base := time.Now().UnixNano()
	for i, l := range letters {
		raw, err := json.Marshal(l)
		if err != nil {
			return capture.Internal(err, "add dead letters")
		}
		ids[i] = l.ID
		docs[i] = fedLetterDoc{ID: l.ID, Partner: l.Partner, Order: base + letterOrder.Add(1), Letter: raw}
	}
	n, err := s.fed(collFedLetters).CountDocuments(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return storeErr(err, "cannot add dead letters")
	}
	if n > 0 {
		return capture.Errorf(capture.CodeConflict, "a dead letter with one of these ids exists")
	}
	if _, err := s.fed(collFedLetters).InsertMany(ctx, docs); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			s.fed(collFedLetters).DeleteMany(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
			return capture.Errorf(capture.CodeConflict, "a dead letter with one of these ids exists")
		}
		return storeErr(err, "cannot add dead letters")
	}
	return nil
}

// DeadLetters lists at most limit letters of partner ("" for all; limit <= 0: no
// limit), oldest first.
func (s *Store) DeadLetters(ctx context.Context, partner string, limit int) ([]federation.DeadLetter, error) {
	filter := bson.D{}
	if partner != "" {
		filter = bson.D{{Key: "partner", Value: partner}}
	}
	opts := options.Find().SetSort(bson.D{{Key: "order", Value: 1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	var docs []fedLetterDoc
	if err := s.findAll(ctx, s.fed(collFedLetters), filter, &docs, opts); err != nil {
		return nil, err
	}
	out := make([]federation.DeadLetter, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal(d.Letter, &out[i]); err != nil {
			return nil, capture.Internal(err, "dead letter "+d.ID+" is damaged")
		}
	}
	return out, nil
}

// DeadLetter returns one letter, or CodeNotFound.
func (s *Store) DeadLetter(ctx context.Context, id string) (federation.DeadLetter, error) {
	var l federation.DeadLetter
	var d fedLetterDoc
	err := s.fed(collFedLetters).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return l, capture.Errorf(capture.CodeNotFound, "no dead letter %s", id)
	}
	if err != nil {
		return l, storeErr(err, "cannot read the dead letter")
	}
	if err := json.Unmarshal(d.Letter, &l); err != nil {
		return l, capture.Internal(err, "dead letter "+id+" is damaged")
	}
	return l, nil
}

// DeleteDeadLetter removes one letter; CodeNotFound when absent.
func (s *Store) DeleteDeadLetter(ctx context.Context, id string) error {
	res, err := s.fed(collFedLetters).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return storeErr(err, "cannot delete the dead letter")
	}
	if res.DeletedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no dead letter %s", id)
	}
	return nil
}

// AcquireLease makes holder the holder of job until until when it is free, already
// holder's, or expired before now; it reports whether holder holds it afterwards. One
// conditional upsert decides: when another holder's live lease exists the filter
// matches nothing and the upsert's insert fails on the job's _id.
func (s *Store) AcquireLease(ctx context.Context, job, holder string, now, until time.Time) (bool, error) {
	filter := bson.D{{Key: "_id", Value: job}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "holder", Value: holder}},
		bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: now.UnixNano()}}}},
	}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "holder", Value: holder}, {Key: "until", Value: until.UnixNano()}}}}
	_, err := s.fed(collFedLeases).UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, storeErr(err, "cannot take the lease")
	}
	// Read back: the holder is whoever wrote last.
	var d fedLeaseDoc
	if err := s.fed(collFedLeases).FindOne(ctx, bson.D{{Key: "_id", Value: job}}).Decode(&d); err != nil {
		return false, storeErr(err, "cannot read the lease")
	}
	return d.Holder == holder, nil
}

// ReleaseLease ends holder's lease on job; a lease held by another is untouched.
func (s *Store) ReleaseLease(ctx context.Context, job, holder string) error {
	_, err := s.fed(collFedLeases).DeleteOne(ctx, bson.D{{Key: "_id", Value: job}, {Key: "holder", Value: holder}})
	return storeErr(err, "cannot release the lease")
}
