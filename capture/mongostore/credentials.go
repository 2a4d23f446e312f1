package mongostore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// credDoc is one document of the credentials collection; absent times are zero.
type credDoc struct {
	Key        string     `bson:"_id"`
	Name       string     `bson:"name"`
	SecretHash string     `bson:"secretHash"`
	Scopes     []string   `bson:"scopes"`
	Trusted    bool       `bson:"trusted"`
	CreatedAt  time.Time  `bson:"createdAt"`
	LastUsedAt *time.Time `bson:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `bson:"revokedAt,omitempty"`
	Agent      string     `bson:"agent,omitempty"` // JSON of a personal credential's agent
}

// agentJSON encodes an agent as JSON, nil as "".
func agentJSON(agent map[string]any) (string, error) {
	if agent == nil {
		return "", nil
	}
	b, err := json.Marshal(agent)
	return string(b), err
}

// agentOf reverses agentJSON.
func agentOf(s string) map[string]any {
	if s == "" {
		return nil
	}
	var agent map[string]any
	if json.Unmarshal([]byte(s), &agent) != nil {
		return nil
	}
	return agent
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeOf(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func (d credDoc) credential() capture.Credential {
	return capture.Credential{
		Key: d.Key, Name: d.Name, SecretHash: d.SecretHash, Scopes: nilIfEmpty(d.Scopes), Trusted: d.Trusted,
		CreatedAt: d.CreatedAt.UTC(), LastUsedAt: timeOf(d.LastUsedAt), RevokedAt: timeOf(d.RevokedAt),
		Agent: agentOf(d.Agent),
	}
}

// CreateCredential stores c; CodeConflict if c.Key exists.
func (s *Store) CreateCredential(ctx context.Context, c capture.Credential) error {
	agent, err := agentJSON(c.Agent)
	if err != nil {
		return capture.Internal(err, "cannot encode the credential agent")
	}
	row := credDoc{Agent: agent,
		Key: c.Key, Name: c.Name, SecretHash: c.SecretHash, Scopes: nonNil(c.Scopes), Trusted: c.Trusted,
		CreatedAt: c.CreatedAt.UTC(), LastUsedAt: timePtr(c.LastUsedAt), RevokedAt: timePtr(c.RevokedAt),
	}
	_, err = s.credentials.InsertOne(ctx, row)
	return storeErr(err, "a credential with this key exists")
}

// Credential returns the credential with key (revoked ones too), or CodeNotFound.
func (s *Store) Credential(ctx context.Context, key string) (capture.Credential, error) {
	var d credDoc
	err := s.credentials.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return capture.Credential{}, capture.Errorf(capture.CodeNotFound, "no such credential")
	}
	if err != nil {
		return capture.Credential{}, storeErr(err, "cannot read the credential")
	}
	return d.credential(), nil
}

// Credentials lists all credentials, oldest first (ties by key).
func (s *Store) Credentials(ctx context.Context) ([]capture.Credential, error) {
	var rows []credDoc
	err := s.findAll(ctx, s.credentials, bson.D{}, &rows,
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	out := make([]capture.Credential, len(rows))
	for i, r := range rows {
		out[i] = r.credential()
	}
	return out, nil
}

// RevokeCredential sets RevokedAt once; a repeat call keeps the first time.
// CodeNotFound for an unknown key.
func (s *Store) RevokeCredential(ctx context.Context, key string, at time.Time) error {
	res, err := s.credentials.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: key}, {Key: "revokedAt", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: at.UTC()}}}})
	if err != nil {
		return storeErr(err, "cannot revoke the credential")
	}
	if res.MatchedCount == 1 {
		return nil
	}
	_, err = s.Credential(ctx, key) // revoked already (nil) or unknown (CodeNotFound)
	return err
}

// TouchCredential records a use at at; a use older than the recorded one changes
// nothing. CodeNotFound for an unknown key.
func (s *Store) TouchCredential(ctx context.Context, key string, at time.Time) error {
	res, err := s.credentials.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$max", Value: bson.D{{Key: "lastUsedAt", Value: at.UTC()}}}})
	if err != nil {
		return storeErr(err, "cannot record the credential use")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no such credential")
	}
	return nil
}

// connectDoc is one document of the connect codes collection.
type connectDoc struct {
	Hash      string    `bson:"_id"`
	Agent     string    `bson:"agent"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// CreateConnectCode stores c and drops codes expired before c was made; CodeConflict
// if c.Hash exists.
func (s *Store) CreateConnectCode(ctx context.Context, c capture.ConnectCode) error {
	agent, err := agentJSON(c.Agent)
	if err != nil || agent == "" {
		return capture.Internal(err, "cannot encode the connect code agent")
	}
	if _, err := s.connect.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: c.CreatedAt.UTC()}}}}); err != nil {
		return storeErr(err, "cannot drop expired connect codes")
	}
	_, err = s.connect.InsertOne(ctx, connectDoc{Hash: c.Hash, Agent: agent, CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC()})
	return storeErr(err, "connect code exists")
}

// TakeConnectCode deletes the code with hash and returns it (one findAndModify, so of
// concurrent calls one at most gets it); CodeNotFound when absent.
func (s *Store) TakeConnectCode(ctx context.Context, hash string) (capture.ConnectCode, error) {
	var d connectDoc
	err := s.connect.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return capture.ConnectCode{}, capture.Errorf(capture.CodeNotFound, "no such connect code")
	}
	if err != nil {
		return capture.ConnectCode{}, storeErr(err, "cannot take the connect code")
	}
	return capture.ConnectCode{Hash: d.Hash, Agent: agentOf(d.Agent), CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC()}, nil
}
