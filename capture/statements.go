package capture

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// StatementService writes and reads statements (xAPI 1.0.3 Communication 2.1): it
// validates, fills the properties the LRS owns, enforces the id and voiding rules and
// turns query parameters into store queries. Writes are serialised so that stored
// times never decrease as the store's sequence grows.
type StatementService struct {
	store     StatementStore
	now       func() time.Time
	maxBatch  int
	maxLimit  int
	log       *slog.Logger
	undef     func(activityIDs []string)
	committed func()

	placeholder     string // stands for the stored time until the write lock is held
	placeholderJSON []byte

	queueMu sync.Mutex
	queue   []*writeJob // writes waiting for the write lock

	writeMu    sync.Mutex
	lastStored time.Time
	inFlight   atomic.Int64 // stored time (unix nanos) of the write being committed, 0 when none
}

// StatementServiceConfig configures a StatementService.
type StatementServiceConfig struct {
	Store    StatementStore
	Now      func() time.Time // nil: time.Now
	MaxBatch int              // most statements in one write; 0: 1000
	MaxLimit int              // most statements in one page; 0: 500
	Logger   *slog.Logger
	// Undefined, when set, is called after each successful commit with the http(s)
	// activity ids (object and context activities, xAPI 1.0.3 Data 2.4.4, 2.4.6.2) of the
	// newly stored statements that carried no definition and have no canonical one stored,
	// each id once. It runs with the write lock held: it must return at once and must not
	// call the service.
	Undefined func(activityIDs []string)
	// Committed, when set, is called after each successful commit that stored at least
	// one statement (federation pushers wake on it). It runs with the write lock held:
	// it must return at once and must not call the service.
	Committed func()
}

// NewStatementService returns a StatementService over cfg.Store.
func NewStatementService(cfg StatementServiceConfig) *StatementService {
	s := &StatementService{store: cfg.Store, now: cfg.Now, maxBatch: cfg.MaxBatch, maxLimit: cfg.MaxLimit, log: cfg.Logger, undef: cfg.Undefined, committed: cfg.Committed}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBatch <= 0 {
		s.maxBatch = 1000
	}
	if s.maxLimit <= 0 {
		s.maxLimit = 500
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	// A random token of the stored time's width: it cannot collide with client content.
	tok := make([]byte, len(storedLayout))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for i := range tok {
		tok[i] = alphabet[rand.IntN(len(alphabet))]
	}
	s.placeholder = string(tok)
	s.placeholderJSON = []byte(`"` + s.placeholder + `"`)
	return s
}

// WriteRequest is one PUT or POST to the Statements resource.
type WriteRequest struct {
	Statements  []Statement
	Attachments map[string]Attachment // request parts keyed by sha2 (multipart/mixed)
	PutID       string                // PUT ?statementId=: each statement must carry this id or none
	Principal   Principal
	Origin      string
}

const voidedVerb = "http://adlnet.gov/expapi/verbs/voided"

// prepared is one statement of a write after validation.
type prepared struct {
	stmt     Statement
	id       string
	clientID bool // the client chose the id, so it may already be stored
	// filledTimestamp is set when the client gave no timestamp and stmt carries the
	// one the LRS fills in.
	filledTimestamp bool
	keys            []string
	refTarget       string
	voidTarget      string
	raw             []byte           // encoded with the placeholder where the stored time goes
	storedAt        []int            // offsets in raw of the placeholder's quoted copies
	attach          []string         // sha2 of the attachments it references whose parts came with it
	defs            []ActivityRecord // activity definitions it carries (define scope only)
	undefined       []string         // http(s) activity ids it names without a definition (only with an Undefined hook)
}

// storedLayout formats stored times at a fixed width, so the encoded statement can be
// made before the write lock and the time written into it under the lock.
const storedLayout = "2006-01-02T15:04:05.000000Z"

// Write validates and stores the statements atomically and returns their ids in order
// (xAPI 1.0.3 Communication 2.1.1–2.1.2). Identical repeats of stored statements are
// accepted and not stored twice; a stored id with other content → CodeConflict; invalid
// data → CodeInvalid; more than the batch limit → CodeTooLarge. Nothing is stored on
// any error.
func (s *StatementService) Write(ctx context.Context, req WriteRequest) ([]string, error) {
	n := len(req.Statements)
	if n > s.maxBatch {
		return nil, Errorf(CodeTooLarge, "batch of %d statements is over the limit of %d", n, s.maxBatch)
	}
	if req.PutID != "" && n != 1 {
		return nil, Errorf(CodeInvalid, "PUT takes exactly one statement")
	}
	prefix := func(i int) string {
		if n > 1 {
			return fmt.Sprintf("statements[%d].", i)
		}
		return ""
	}
	items := make([]prepared, n)
	seen := make(map[string]int, n)
	for i, st := range req.Statements {
		if err := ValidateStatement(st); err != nil {
			return nil, prefixError(prefix(i), err)
		}
		if err := req.Principal.checkPersonalWrite(st); err != nil {
			return nil, prefixError(prefix(i), err)
		}
		id, _ := st["id"].(string)
		id = strings.ToLower(id)
		clientID := id != "" || req.PutID != ""
		if req.PutID != "" {
			if id != "" && id != strings.ToLower(req.PutID) {
				return nil, Errorf(CodeInvalid, "id: %q does not match the statementId parameter %q", id, req.PutID)
			}
			id = strings.ToLower(req.PutID)
		}
		if id == "" {
			id = newStatementID(s.now())
		}
		st["id"] = id
		if j, dup := seen[id]; dup {
			return nil, Errorf(CodeInvalid, "%sid: %s is also the id of statements[%d] in this batch", prefix(i), id, j)
		}
		seen[id] = i
		if !req.Principal.Credential.Trusted || st["authority"] == nil {
			st["authority"] = req.Principal.Authority
		}
		items[i] = prepared{stmt: st, id: id, clientID: clientID, refTarget: RefTarget(st), voidTarget: VoidTarget(st)}
	}
	if err := ValidateAttachmentParts(req.Statements, req.Attachments); err != nil {
		return nil, err
	}
	// Everything that needs no stored state is done here, outside the write lock, so
	// concurrent writes use every core; the lock covers only checks and the insert.
	for i := range items {
		it := &items[i]
		it.keys = MatchKeys(it.stmt)
		for _, sha := range AttachmentSHA2s(it.stmt) { // each sha2 once
			if _, ok := req.Attachments[sha]; ok {
				it.attach = append(it.attach, sha)
			}
		}
		if req.Principal.CanDefine() {
			it.defs = ActivityDefinitions(it.stmt)
		}
		if s.undef != nil {
			it.undefined = undefinedWebActivities(it.stmt)
		}
		it.stmt["stored"] = s.placeholder
		if _, ok := it.stmt["timestamp"]; !ok {
			it.stmt["timestamp"] = s.placeholder
			it.filledTimestamp = true
		}
		if _, ok := it.stmt["version"]; !ok {
			it.stmt["version"] = "1.0.0"
		}
		raw, err := marshalStatement(it.stmt)
		if err != nil {
			return nil, Internal(err, "cannot encode a statement")
		}
		it.raw = raw
		for off := 0; ; {
			i := bytes.Index(raw[off:], s.placeholderJSON)
			if i < 0 {
				break
			}
			it.storedAt = append(it.storedAt, off+i+1)
			off += i + len(s.placeholderJSON)
		}
	}
	ids := make([]string, n)
	for i := range items {
		ids[i] = items[i].id
	}
	if n == 0 {
		return ids, nil
	}
	if err := s.commit(ctx, req, items); err != nil {
		return nil, err
	}
	return ids, nil
}

// newStatementID returns an id for a statement sent without one (Data 2.4.1): a
// version-4 UUID whose first 48 bits are the milliseconds of now since 1970, as in a
// version-7 UUID (RFC 9562 5.7), and whose other 74 bits are random. It is as unique
// as any version-4 id and passes validators that know only versions 1-5, and ids made
// one after another sort together, so each lands at the end of the store's id index
// instead of on a random page of it.
func newStatementID(now time.Time) string {
	u := uuid.New() // version 4, variant 10
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	return u.String()
}

func prefixError(prefix string, err error) error {
	if prefix == "" {
		return err
	}
	if e, ok := err.(*Error); ok {
		return &Error{Code: e.Code, Message: prefix + e.Message, Err: e.Err}
	}
	return err
}

// writeJob is one Write waiting to be committed.
type writeJob struct {
	ctx   context.Context
	req   WriteRequest
	items []prepared
	done  chan error // receives the outcome once
}

// commit stores items with group commit: concurrent writes queue up, and whoever
// holds the write lock commits everything queued in one store transaction, so that
// many small writes share one WAL commit. Each write is still checked on its own, and
// its own error is returned to it; a write never fails because of another.
func (s *StatementService) commit(ctx context.Context, req WriteRequest, items []prepared) error {
	job := &writeJob{ctx: ctx, req: req, items: items, done: make(chan error, 1)}
	s.queueMu.Lock()
	s.queue = append(s.queue, job)
	s.queueMu.Unlock()

	s.writeMu.Lock()
	select {
	case err := <-job.done: // an earlier holder of the lock committed it
		s.writeMu.Unlock()
		return err
	default:
	}
	s.queueMu.Lock()
	jobs := s.queue
	s.queue = nil
	s.queueMu.Unlock()
	s.commitGroup(jobs)
	s.writeMu.Unlock()
	return <-job.done
}

// answer gives j its outcome unless it has one; only the write lock's holder calls it.
func answer(j *writeJob, err error) {
	if len(j.done) == 0 {
		j.done <- err
	}
}

// maxGroupStatements bounds the statements of one group commit.
const maxGroupStatements = 5000

// commitGroup checks each job against the store and commits those that pass, in
// groups of at most maxGroupStatements. The caller holds writeMu.
func (s *StatementService) commitGroup(jobs []*writeJob) {
	for len(jobs) > 0 {
		n, size := 0, 0
		for n < len(jobs) && (n == 0 || size+len(jobs[n].items) <= maxGroupStatements) {
			size += len(jobs[n].items)
			n++
		}
		group := jobs[:n]
		jobs = jobs[n:]
		err := s.commitJobs(group)
		if err != nil && len(group) > 1 {
			// One bad write must not sink the others: retry them one by one.
			for _, j := range group {
				if len(j.done) == 0 {
					answer(j, s.commitJobs([]*writeJob{j}))
				}
			}
			continue
		}
		for _, j := range group {
			answer(j, err)
		}
	}
}

// commitJobs checks jobs against what is stored and inserts the fresh statements of
// those that pass in one transaction. A job that fails a check gets its error on
// done and is left out; the returned error is the insert's, for every job not yet
// answered.
func (s *StatementService) commitJobs(jobs []*writeJob) error {
	ctx := jobs[0].ctx
	var lookup []string
	for _, j := range jobs {
		for _, it := range j.items {
			if it.clientID { // a fresh random UUID cannot be stored already
				lookup = append(lookup, it.id)
			}
			if it.voidTarget != "" {
				lookup = append(lookup, it.voidTarget)
			}
		}
	}
	stored := map[string]StatementRecord{}
	if len(lookup) > 0 {
		var err error
		if stored, err = s.store.StatementsByID(ctx, lookup); err != nil {
			return err
		}
	}

	now := s.now().UTC().Truncate(time.Microsecond)
	if !now.After(s.lastStored) {
		now = s.lastStored.Add(time.Microsecond)
	}
	// Each statement gets its own stored time, a microsecond apart, so that a client
	// paging with since= on stored times never has to split equal times.
	at := now.Add(-time.Microsecond)

	total := 0
	for _, j := range jobs {
		total += len(j.items)
	}
	batch := InsertBatch{Statements: make([]StatementRecord, 0, total)}
	var activityIDs, undefined []string
	undefinedSeen := map[string]bool{}
	defs := map[string]json.RawMessage{}
	needed := map[string]Attachment{}
	group := map[string]*prepared{} // statements this group stores, by id
	for _, j := range jobs {
		fresh, err := checkJob(j, stored, group)
		if err != nil {
			answer(j, err)
			continue
		}
		for _, it := range fresh {
			group[it.id] = it
			at = at.Add(time.Microsecond)
			// The placeholder and the time have one width: the time is written in place.
			var buf [64]byte
			stamp := at.AppendFormat(buf[:0], storedLayout)
			raw := it.raw
			for _, off := range it.storedAt {
				copy(raw[off:off+len(storedLayout)], stamp)
			}
			for _, sha := range it.attach {
				needed[sha] = j.req.Attachments[sha]
			}
			batch.Statements = append(batch.Statements, StatementRecord{
				ID: it.id, Stored: at, Raw: raw, Keys: it.keys,
				RefTarget: it.refTarget, VoidTarget: it.voidTarget, AttachSHA2: it.attach, Origin: j.req.Origin,
			})
			for _, a := range it.defs {
				if prev, ok := defs[a.ID]; ok {
					defs[a.ID] = MergeActivityDefinition(prev, a.Definition)
				} else {
					defs[a.ID] = a.Definition
					activityIDs = append(activityIDs, a.ID)
				}
			}
			for _, id := range it.undefined {
				if !undefinedSeen[id] {
					undefinedSeen[id] = true
					undefined = append(undefined, id)
				}
			}
		}
	}
	if len(batch.Statements) == 0 {
		return nil
	}
	for _, a := range needed {
		batch.Attachments = append(batch.Attachments, a)
	}
	// Ids this group defines are not undefined; the others are looked up with the defined
	// ones, in the same call.
	undefined = slices.DeleteFunc(undefined, func(id string) bool { _, ok := defs[id]; return ok })
	if len(activityIDs) > 0 || len(undefined) > 0 {
		known, err := s.store.Activities(ctx, append(slices.Clip(activityIDs), undefined...))
		if err != nil {
			return err
		}
		undefined = slices.DeleteFunc(undefined, func(id string) bool { return !emptyDefinition(known[id].Definition) })
		for _, id := range activityIDs {
			def := defs[id]
			if k, ok := known[id]; ok && len(k.Definition) > 0 {
				def = MergeActivityDefinition(k.Definition, def)
				if bytes.Equal(def, k.Definition) {
					continue // nothing new: most statements repeat a known definition
				}
			}
			batch.Activities = append(batch.Activities, ActivityRecord{ID: id, Definition: def})
		}
	}

	s.inFlight.Store(now.UnixNano())
	defer s.inFlight.Store(0)
	if err := s.store.InsertStatements(ctx, batch); err != nil {
		return err
	}
	s.lastStored = at
	if s.committed != nil {
		s.committed()
	}
	if len(undefined) > 0 {
		s.undef(undefined)
	}
	return nil
}

// undefinedWebActivities returns the ids of st's activities (object, context activities,
// and those of a SubStatement) that are absolute http or https URLs and carry no
// definition or an empty one, each once.
func undefinedWebActivities(st Statement) []string {
	var ids []string
	eachActivity(map[string]any(st), func(a map[string]any) {
		id, _ := a["id"].(string)
		if !isWebURL(id) || slices.Contains(ids, id) {
			return
		}
		if def, ok := a["definition"].(map[string]any); ok && len(def) > 0 {
			return
		}
		ids = append(ids, id)
	})
	return ids
}

// isWebURL reports whether id is an absolute http or https URL with a host.
func isWebURL(id string) bool {
	u, err := url.Parse(id)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// emptyDefinition reports whether a stored definition is absent, null or an empty object.
func emptyDefinition(def json.RawMessage) bool {
	def = bytes.TrimSpace(def)
	if len(def) == 0 || string(def) == "null" {
		return true
	}
	// Stored definitions are JSON objects: one has members unless only spaces separate
	// its braces.
	if len(def) >= 2 && def[0] == '{' && def[len(def)-1] == '}' {
		return len(bytes.TrimSpace(def[1:len(def)-1])) == 0
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(def, &m) == nil && len(m) == 0
}

// DefineActivity stores def, a JSON object, as the canonical definition of activity id
// (xAPI 1.0.3 Communication 2.5) when none is stored yet; a stored non-empty definition
// (one a statement supplied, or an earlier call's) is kept and the call is a no-op.
// CodeInvalid when id is empty or def is not a non-empty JSON object; store errors as
// the store returns them. It serialises with statement writes.
func (s *StatementService) DefineActivity(ctx context.Context, id string, def json.RawMessage) error {
	if id == "" {
		return Errorf(CodeInvalid, "activity id is empty")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(def, &m); err != nil || m == nil {
		return Errorf(CodeInvalid, "activity definition is not a JSON object")
	}
	if len(m) == 0 {
		return Errorf(CodeInvalid, "activity definition is empty")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	known, err := s.store.Activities(ctx, []string{id})
	if err != nil {
		return err
	}
	if !emptyDefinition(known[id].Definition) {
		return nil
	}
	return s.store.PutActivities(ctx, []ActivityRecord{{ID: id, Definition: def}})
}

// checkJob applies the id and voiding rules (xAPI 1.0.3 Data 2.2, 2.3.2) to one write
// against stored statements and those the group already takes, and returns the
// statements to insert: identical repeats are dropped, a stored id with other content
// → CodeConflict, voiding a voiding statement → CodeInvalid.
func checkJob(j *writeJob, stored map[string]StatementRecord, group map[string]*prepared) ([]*prepared, error) {
	inJob := make(map[string]*prepared, len(j.items))
	for i := range j.items {
		inJob[j.items[i].id] = &j.items[i]
	}
	fresh := make([]*prepared, 0, len(j.items))
	for i := range j.items {
		it := &j.items[i]
		if old, ok := stored[it.id]; ok {
			same, err := SameAsStored(it.submitted(), old.Raw)
			if err != nil {
				return nil, err
			}
			if !same {
				return nil, Errorf(CodeConflict, "statement %s is already stored with other content", it.id)
			}
			continue
		}
		if other, ok := group[it.id]; ok {
			if !sameSubmission(other.submitted(), it.submitted()) {
				return nil, Errorf(CodeConflict, "statement %s is already stored with other content", it.id)
			}
			continue
		}
		if vt := it.voidTarget; vt != "" {
			t, inStore := stored[vt]
			b, inThis := inJob[vt]
			g, inGroup := group[vt]
			if (inStore && t.VoidTarget != "") || (inThis && b.voidTarget != "") || (inGroup && g.voidTarget != "") {
				return nil, Errorf(CodeInvalid, "object.id: statement %s is a voiding statement and cannot be voided", vt)
			}
		}
		fresh = append(fresh, it)
	}
	return fresh, nil
}

// submitted returns the statement as its client sent it, for the comparison of
// statements under one id: without the timestamp the LRS filled in. (The comparison
// ignores the id, stored, authority and version that the LRS sets.)
func (it *prepared) submitted() Statement {
	if !it.filledTimestamp {
		return it.stmt
	}
	st := maps.Clone(it.stmt)
	delete(st, "timestamp")
	return st
}

// marshalStatement encodes a statement as compact JSON (sorted keys, no HTML escaping).
func marshalStatement(st Statement) ([]byte, error) {
	return appendJSON(make([]byte, 0, 1024), st), nil
}

// ReadRequest is one GET of the Statements resource.
type ReadRequest struct {
	Params    StatementParams
	More      string   // the more token; when set Params are taken from it
	Langs     []string // Accept-Language, best first
	Principal Principal
}

// ReadResult is what a GET returns. Single is true for statementId/voidedStatementId.
type ReadResult struct {
	Single            bool
	Statement         json.RawMessage   // Single: the statement
	Stored            time.Time         // Single: its stored time (Last-Modified)
	Statements        []json.RawMessage // query: the page
	More              string            // query: the token for the next page, "" if none
	Multipart         bool              // attachments=true was asked (directly or by the more token)
	Attachments       []Attachment      // when Multipart: the contents the statements reference
	ConsistentThrough time.Time
}

// moreToken is what a more link carries: the query and where the last page ended.
type moreToken struct {
	P     StatementParams `json:"p"`
	After int64           `json:"a"`
}

// consistentThrough returns the instant up to which every stored statement is visible
// (xAPI 1.0.3 Communication 2.1.3, X-Experience-API-Consistent-Through).
func (s *StatementService) consistentThrough() time.Time {
	now := s.now().UTC()
	if f := s.inFlight.Load(); f != 0 {
		t := time.Unix(0, f).UTC().Add(-time.Microsecond)
		if t.Before(now) {
			return t
		}
	}
	return now
}

// Read fetches one statement (CodeNotFound if absent, voided when asked by statementId,
// or not voided when asked by voidedStatementId) or a page of a query (xAPI 1.0.3
// Communication 2.1.3). A more token that does not decode → CodeInvalid.
func (s *StatementService) Read(ctx context.Context, req ReadRequest) (ReadResult, error) {
	ct := s.consistentThrough()
	p := req.Params
	var tok moreToken
	if req.More != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.More)
		if err != nil || json.Unmarshal(raw, &tok) != nil || tok.After < 0 {
			return ReadResult{}, Errorf(CodeInvalid, "more: not a token this LRS issued")
		}
		p = tok.P
	}
	if p.StatementID != "" || p.VoidedStatementID != "" {
		return s.readOne(ctx, p, req, ct)
	}
	// Pages ride on the store's sequence: the next page starts past the last one seen,
	// so statements stored meanwhile neither shift nor repeat it.
	q := StatementQuery{Since: p.Since, Until: p.Until, Ascending: p.Ascending, AfterSeq: tok.After}
	if p.AgentKey != "" {
		if p.RelatedAgents {
			q.Keys = append(q.Keys, KeyRelatedAgent(p.AgentKey))
		} else {
			q.Keys = append(q.Keys, KeyAgent(p.AgentKey))
		}
	}
	if p.VerbID != "" {
		q.Keys = append(q.Keys, KeyVerb(p.VerbID))
	}
	if p.ActivityID != "" {
		if p.RelatedActivities {
			q.Keys = append(q.Keys, KeyRelatedActivity(p.ActivityID))
		} else {
			q.Keys = append(q.Keys, KeyActivity(p.ActivityID))
		}
	}
	if p.Registration != "" {
		q.Keys = append(q.Keys, KeyRegistration(p.Registration))
	}
	if k := req.Principal.readKey(); k != "" {
		q.Keys = append(q.Keys, k)
	}
	limit := p.Limit
	if limit <= 0 || limit > s.maxLimit {
		limit = s.maxLimit
	}
	q.Limit = limit + 1
	recs, err := s.store.QueryStatements(ctx, q)
	if err != nil {
		return ReadResult{}, err
	}
	res := ReadResult{ConsistentThrough: ct, Multipart: p.Attachments, Statements: make([]json.RawMessage, 0, min(len(recs), limit))}
	if len(recs) > limit {
		recs = recs[:limit]
		next, _ := json.Marshal(moreToken{P: p, After: recs[len(recs)-1].Seq})
		res.More = base64.RawURLEncoding.EncodeToString(next)
	}
	for _, r := range recs {
		out, err := s.format(ctx, r.Raw, p.Format, req.Langs)
		if err != nil {
			return ReadResult{}, err
		}
		res.Statements = append(res.Statements, out)
	}
	if p.Attachments {
		if res.Attachments, err = s.attachmentsOf(ctx, recs); err != nil {
			return ReadResult{}, err
		}
	}
	return res, nil
}

func (s *StatementService) readOne(ctx context.Context, p StatementParams, req ReadRequest, ct time.Time) (ReadResult, error) {
	id, wantVoided := p.StatementID, false
	if id == "" {
		id, wantVoided = p.VoidedStatementID, true
	}
	id = strings.ToLower(id)
	found, err := s.store.StatementsByID(ctx, []string{id})
	if err != nil {
		return ReadResult{}, err
	}
	r, ok := found[id]
	switch {
	case !ok || (req.Principal.readKey() != "" && !slices.Contains(r.Keys, req.Principal.readKey())):
		return ReadResult{}, Errorf(CodeNotFound, "no statement %s", id)
	case r.Voided && !wantVoided:
		return ReadResult{}, Errorf(CodeNotFound, "statement %s is voided: fetch it with voidedStatementId", id)
	case !r.Voided && wantVoided:
		return ReadResult{}, Errorf(CodeNotFound, "statement %s is not voided: fetch it with statementId", id)
	}
	out, err := s.format(ctx, r.Raw, p.Format, req.Langs)
	if err != nil {
		return ReadResult{}, err
	}
	res := ReadResult{Single: true, Statement: out, Stored: r.Stored, ConsistentThrough: ct, Multipart: p.Attachments}
	if p.Attachments {
		if res.Attachments, err = s.attachmentsOf(ctx, []StatementRecord{r}); err != nil {
			return ReadResult{}, err
		}
	}
	return res, nil
}

// format renders a stored statement in the asked format (xAPI 1.0.3 Communication 2.1.3).
func (s *StatementService) format(ctx context.Context, raw []byte, f Format, langs []string) (json.RawMessage, error) {
	if f == "" || f == FormatExact {
		return raw, nil
	}
	tree, err := decodeJSONTree(raw)
	st, ok := tree.(map[string]any)
	if err != nil || !ok {
		return nil, Internal(err, "a stored statement does not decode")
	}
	var out Statement
	if f == FormatIdentifiers {
		out = StatementIDsOnly(st)
	} else {
		var ids []string
		eachActivity(st, func(a map[string]any) {
			if id, ok := a["id"].(string); ok {
				ids = append(ids, id)
			}
		})
		defs, err := s.store.Activities(ctx, ids)
		if err != nil {
			return nil, err
		}
		out = StatementCanonical(st, langs, defs)
	}
	b, err := marshalStatement(out)
	if err != nil {
		return nil, Internal(err, "cannot encode a statement")
	}
	return b, nil
}

func (s *StatementService) attachmentsOf(ctx context.Context, recs []StatementRecord) ([]Attachment, error) {
	var shas []string
	for _, r := range recs {
		for _, sha := range r.AttachSHA2 {
			if !slices.Contains(shas, sha) {
				shas = append(shas, sha)
			}
		}
	}
	if len(shas) == 0 {
		return nil, nil
	}
	found, err := s.store.Attachments(ctx, shas)
	if err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(shas))
	for _, sha := range shas {
		if a, ok := found[sha]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// Activity returns the canonical Activity object for id (xAPI 1.0.3 Communication
// 2.5); CodeNotFound when the LRS has never seen a definition for it.
func (s *StatementService) Activity(ctx context.Context, id string) (json.RawMessage, error) {
	found, err := s.store.Activities(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	obj := map[string]any{"objectType": "Activity", "id": id}
	a, ok := found[id]
	if !ok {
		return nil, Errorf(CodeNotFound, "no activity %s", id)
	}
	if len(a.Definition) > 0 && string(a.Definition) != "null" {
		obj["definition"] = json.RawMessage(a.Definition)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, Internal(err, "cannot encode an activity")
	}
	return b, nil
}
