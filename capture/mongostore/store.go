package mongostore

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/cairn-lrs/cairn/capture"
)

// DefaultDatabase is the database used when the URI names none.
const DefaultDatabase = "cairn"

// Collection names.
const (
	collStatements  = "statements"
	collCounters    = "counters"
	collAttachments = "attachments"
	collChunks      = "attachmentChunks"
	collActivities  = "activities"
	collDocuments   = "documents"
	collCredentials = "credentials"
	collSlackLinks  = "slackLinks"
	collSlackChans  = "slackChannels"
	collConnect     = "connectCodes"
)

// Store is a capture.Store on one MongoDB database. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	log    *slog.Logger
	cfg    config

	statements  *mongo.Collection
	counters    *mongo.Collection
	attachments *mongo.Collection
	chunks      *mongo.Collection
	activities  *mongo.Collection
	documents   *mongo.Collection
	credentials *mongo.Collection
	slackLinks  *mongo.Collection
	slackChans  *mongo.Collection
	connect     *mongo.Collection

	unfinished unfinishedBatches // committed batches whose effects must be retried

	// counterMu serialises this Store's writes to the counters document (see the
	// package doc: FerretDB does not apply one update atomically).
	counterMu sync.Mutex
}

var _ capture.Store = (*Store)(nil)

// config holds the attachment chunk size and the timings of the batch scheme; tests
// change them.
type config struct {
	chunk int              // attachment bytes per chunk document
	lease time.Duration    // how long a pending batch may stay open before others abort it
	grace time.Duration    // how long an entry aborted by expiry is kept after its lease
	now   func() time.Time // the clock that stamps and checks leases
}

func defaultConfig() config {
	return config{chunk: 4 << 20, lease: time.Minute, grace: 10 * time.Minute, now: time.Now}
}

// Open connects to the MongoDB at uri (mongodb:// or mongodb+srv://), uses the database
// the URI path names (DefaultDatabase when none), creates every index (a no-op when they
// exist, so a repeat Open is fine) and finishes or aborts batches left open by a crash.
// CodeInvalid for a malformed URI, CodeUnavailable when the server cannot be reached.
func Open(ctx context.Context, uri string, logger *slog.Logger) (*Store, error) {
	return open(ctx, uri, logger, defaultConfig())
}

func open(ctx context.Context, uri string, logger *slog.Logger, cfg config) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	dbName, err := databaseName(uri)
	if err != nil {
		return nil, err
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return nil, &capture.Error{Code: capture.CodeInvalid, Message: "invalid MongoDB client options", Err: err}
	}
	db := client.Database(dbName)
	s := &Store{
		client:      client,
		db:          db,
		log:         logger.With("store", "mongodb", "database", dbName),
		cfg:         cfg,
		statements:  db.Collection(collStatements),
		counters:    db.Collection(collCounters),
		attachments: db.Collection(collAttachments),
		chunks:      db.Collection(collChunks),
		activities:  db.Collection(collActivities),
		documents:   db.Collection(collDocuments),
		credentials: db.Collection(collCredentials),
		slackLinks:  db.Collection(collSlackLinks),
		slackChans:  db.Collection(collSlackChans),
		connect:     db.Collection(collConnect),
	}
	if err := s.init(ctx); err != nil {
		disconnect(client)
		return nil, err
	}
	return s, nil
}

// databaseName returns the database that uri names, DefaultDatabase when none;
// CodeInvalid when uri is not a valid MongoDB connection string.
func databaseName(uri string) (string, error) {
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		return "", &capture.Error{Code: capture.CodeInvalid, Message: "invalid MongoDB URI", Err: err}
	}
	if cs.Database == "" {
		return DefaultDatabase, nil
	}
	return cs.Database, nil
}

// init checks the connection, creates the indexes and the counters document, and
// sweeps batches left open.
func (s *Store) init(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if err := s.createIndexes(ctx); err != nil {
		return err
	}
	_, err := s.counters.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: counterID}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "seq", Value: int64(0)}, {Key: "open", Value: bson.D{}}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return storeErr(err, "cannot create the sequence counter")
	}
	return s.sweep(ctx)
}

// index is one index to create at Open.
type index struct {
	coll   *mongo.Collection
	keys   bson.D
	unique bool
}

// createIndexes creates every index the queries use. Indexes are created one call each:
// FerretDB fails a createIndexes call that lists several indexes which already exist.
func (s *Store) createIndexes(ctx context.Context) error {
	asc := func(fields ...string) bson.D {
		d := bson.D{}
		for _, f := range fields {
			d = append(d, bson.E{Key: f, Value: 1})
		}
		return d
	}
	indexes := []index{
		{s.statements, asc("seq"), true},
		{s.statements, bson.D{{Key: "keys", Value: 1}, {Key: "seq", Value: -1}}, false},
		{s.statements, bson.D{{Key: "ikeys", Value: 1}, {Key: "seq", Value: -1}}, false},
		{s.statements, bson.D{{Key: "storedNs", Value: 1}, {Key: "seq", Value: -1}}, false},
		{s.statements, bson.D{{Key: "voided", Value: 1}, {Key: "seq", Value: -1}}, false},
		{s.statements, asc("refTarget"), false},
		{s.statements, asc("voidTarget"), false},
		{s.statements, asc("batch"), false},
		{s.documents, asc("kind", "activityId", "agentKey", "registration", "docId"), false},
		{s.documents, asc("kind", "activityId", "agentKey", "updatedNs"), false},
		{s.chunks, asc("sha2", "n"), true},
		{s.credentials, asc("createdAt"), false},
		{s.db.Collection(collFedLetters), asc("partner", "order"), false},
		{s.slackLinks, asc("personId", "teamId", "userId"), false},
	}
	indexes = append(indexes, s.reportIndexes()...)
	indexes = append(indexes, s.qaIndexes()...)
	for _, ix := range indexes {
		model := mongo.IndexModel{Keys: ix.keys}
		if ix.unique {
			model.Options = options.Index().SetUnique(true)
		}
		if _, err := ix.coll.Indexes().CreateOne(ctx, model); err != nil {
			return storeErr(err, "cannot create indexes")
		}
	}
	return nil
}

// Ping reports whether the server answers (CodeUnavailable otherwise).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return &capture.Error{Code: capture.CodeUnavailable, Message: "the database is not reachable", Err: err}
	}
	return nil
}

// Close disconnects from the server. Writes acknowledged before it are durable to the
// extent of the write concern of the URI (the server default otherwise).
func (s *Store) Close() error {
	return disconnect(s.client)
}

func disconnect(c *mongo.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return storeErr(err, "cannot close the database connection")
	}
	return nil
}

// storeErr maps a driver error to a *capture.Error: a duplicate key to CodeConflict,
// an unreachable server, a network error or a timeout to CodeUnavailable, a document
// over the server's size limit to CodeTooLarge, anything else to CodeInternal. msg is
// the client-facing message; an *capture.Error passes through unchanged.
func storeErr(err error, msg string) error {
	if err == nil {
		return nil
	}
	var ce *capture.Error
	if errors.As(err, &ce) {
		return err
	}
	var sel topology.ServerSelectionError
	switch {
	case mongo.IsDuplicateKeyError(err):
		return &capture.Error{Code: capture.CodeConflict, Message: msg, Err: err}
	case errors.Is(err, driver.ErrDocumentTooLarge):
		return &capture.Error{Code: capture.CodeTooLarge, Message: "the content exceeds the database document size limit", Err: err}
	case errors.As(err, &sel), errors.Is(err, mongo.ErrClientDisconnected),
		mongo.IsNetworkError(err), mongo.IsTimeout(err),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &capture.Error{Code: capture.CodeUnavailable, Message: "the database is not reachable", Err: err}
	}
	return capture.Internal(err, msg)
}
