// Package erasure erases a person from Cairn on request (the right to erasure, GDPR
// Art. 17): the statements they made are removed, the statements of others that
// mention them are rewritten with an anonymous agent in their place, their state and
// agent profile documents go, credentials bound to them are revoked, every registered
// Part (Slack links, the Q&A hub's content) erases its own share, the report figures
// are rebuilt, push partners that asked for it are sent voiding statements, and an
// audit record says who asked, when, why and how much went, naming the person only by
// a keyed hash.
//
// Erasure and xAPI immutability: xAPI 1.0.3 (Data 2.3.1) makes stored statements
// immutable and voiding (Data 2.3.2) the only way to retract one, but a voided
// statement stays stored and retrievable. Erasure overrides immutability, as the law
// requires and as SQL LRS's actor deletion does: statements are deleted, or changed
// in place keeping their ids, stored times and sequence numbers. A client that cached
// a statement, or a partner that received it, keeps its copy (see federation.Recaller
// for what partners are told).
package erasure

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/google/uuid"
)

// Request asks for the erasure of one person, known by one or more xAPI agents.
type Request struct {
	// Agents are xAPI Agent objects (Data 2.4.2.1), each with exactly one identifier
	// (mbox, mbox_sha1sum, openid or account); every identifier the person used.
	Agents      []json.RawMessage
	RequestedBy string // who asked for it (an administrator's name)
	Reason      string // why (a ticket, a request date); the person's identifiers and names are blanked out
}

// Person is the erased person as Parts see it.
type Person struct {
	AgentKeys []string         // capture.AgentKeyOf strings, sorted
	Agents    []map[string]any // the agents as requested
	Mboxes    []string         // the mailto addresses among them, without "mailto:"
	Names     []string         // display names found in the requested agents and the person's statements
	// Anonymous is the account agent that stands in for the person wherever their
	// content is kept (the same for every Part of one erasure).
	Anonymous map[string]any
}

// Part erases one domain's share of a person: the Q&A hub (questions, answers,
// comments, votes, the person row), the Slack links, and so on.
type Part interface {
	// Name names the part in reports ("slack links", "qa").
	Name() string
	// ErasePerson removes or anonymises the person's content and returns how many
	// items it changed; a repeat call returns 0.
	ErasePerson(ctx context.Context, p Person) (int, error)
}

// Resolver knows other identifiers of a person (a Part may be one): the Slack account
// agent their Slack statements carry, found through their email. Erase adds what
// resolvers return to the person before it erases anything.
type Resolver interface {
	// OtherAgents returns xAPI agents (one identifier each) that also stand for p.
	OtherAgents(ctx context.Context, p Person) ([]map[string]any, error)
}

// CredentialBinding finds the API credentials bound to a person, for revocation.
type CredentialBinding interface {
	// CredentialsOf returns the keys of the credentials bound to p (none: empty).
	CredentialsOf(ctx context.Context, p Person) ([]string, error)
}

// Revoker reads and revokes credentials (capture.CredentialStore has both).
type Revoker interface {
	Credential(ctx context.Context, key string) (capture.Credential, error)
	RevokeCredential(ctx context.Context, key string, at time.Time) error
}

// Store is the part of the capture store an erasure changes.
type Store interface {
	StatementsMentioning(ctx context.Context, agentKeys []string, afterSeq int64, limit int) ([]capture.StatementRecord, error)
	EraseStatements(ctx context.Context, b capture.EraseBatch) error
	DeleteAgentDocuments(ctx context.Context, agentKeys []string) (int, error)
}

// Checkpointer is a store that keeps page images from before a change (SQLite's WAL):
// Checkpoint overwrites them. The Eraser calls it last when its Store has it.
type Checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// Rollups rebuilds the report figures (reports.Store has it).
type Rollups interface {
	ResetRollups(ctx context.Context) error
}

// Recaller tells federation partners (federation.Recaller).
type Recaller interface {
	Recall(ctx context.Context, erased []capture.StatementRecord) ([]federation.Recall, error)
}

// Config is what an Eraser needs. Store and Audit are required; the rest may be nil.
type Config struct {
	Store       Store
	Audit       AuditStore
	Rollups     Rollups
	AfterReset  func() // after the figures were reset (wakes the rollup)
	Recaller    Recaller
	Credentials CredentialBinding
	Revoker     Revoker
	Parts       []Part
	HomePage    string // Cairn's base URL; anonymous accounts live on HomePage + "/erased"
	// AuditKey keys the person's hash in the audit record; nil: the record holds no hash.
	AuditKey []byte
	Now      func() time.Time
	Logger   *slog.Logger
	// Page is how many statements an erasure reads, and changes in one store call, at a
	// time (0: 500): memory stays bounded and other writes wait at most one page.
	Page int
}

// Eraser carries out erasures. Safe for concurrent use.
type Eraser struct{ cfg Config }

// New returns an Eraser for cfg.
func New(cfg Config) *Eraser {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Page <= 0 {
		cfg.Page = 500
	}
	return &Eraser{cfg: cfg}
}

// Limits of a request's text fields.
const (
	maxRequestedBy = 200
	maxReason      = 2000
	maxAgents      = 20
)

// ParseRequest checks r and returns the person it names: CodeInvalid naming the field
// when an agent is not an Agent with exactly one identifier, or RequestedBy or Reason
// is empty or too long.
func ParseRequest(r Request) (Person, error) {
	var p Person
	if len(r.Agents) == 0 {
		return p, capture.Errorf(capture.CodeInvalid, "agents: give at least one xAPI agent of the person")
	}
	if len(r.Agents) > maxAgents {
		return p, capture.Errorf(capture.CodeInvalid, "agents: at most %d", maxAgents)
	}
	for i, raw := range r.Agents {
		var a map[string]any
		if err := json.Unmarshal(raw, &a); err != nil || a == nil {
			return p, capture.Errorf(capture.CodeInvalid, "agents[%d]: not a JSON object", i)
		}
		if ot, ok := a["objectType"]; ok && ot != "Agent" {
			return p, capture.Errorf(capture.CodeInvalid, "agents[%d]: objectType must be Agent", i)
		}
		// The agent is checked as the actor of a minimal statement (Data 2.4.2.1).
		probe := capture.Statement{"actor": a, "verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/experienced"},
			"object": map[string]any{"id": "urn:cairn:erasure"}}
		if err := capture.ValidateStatement(probe); err != nil {
			return p, capture.Errorf(capture.CodeInvalid, "agents[%d]%s", i, strings.TrimPrefix(capture.ErrorMessage(err), "actor"))
		}
		k, err := capture.AgentKeyOf(a)
		if err != nil {
			return p, capture.Errorf(capture.CodeInvalid, "agents[%d]: %s", i, capture.ErrorMessage(err))
		}
		if !slices.Contains(p.AgentKeys, k) {
			p.AgentKeys = append(p.AgentKeys, k)
			p.Agents = append(p.Agents, a)
		}
		if m, ok := a["mbox"].(string); ok {
			p.Mboxes = append(p.Mboxes, strings.TrimPrefix(m, "mailto:"))
		}
		if n, ok := a["name"].(string); ok && n != "" {
			p.addName(n)
		}
	}
	slices.Sort(p.AgentKeys)
	for _, f := range []struct {
		name, v string
		max     int
	}{{"requestedBy", r.RequestedBy, maxRequestedBy}, {"reason", r.Reason, maxReason}} {
		v := strings.TrimSpace(f.v)
		if v == "" {
			return p, capture.Errorf(capture.CodeInvalid, "%s: required", f.name)
		}
		if utf8.RuneCountInString(v) > f.max || !utf8.ValidString(v) {
			return p, capture.Errorf(capture.CodeInvalid, "%s: at most %d characters of text", f.name, f.max)
		}
	}
	return p, nil
}

func (p *Person) addName(n string) {
	if n = strings.TrimSpace(n); n != "" && !slices.Contains(p.Names, n) {
		p.Names = append(p.Names, n)
	}
}

// Preview checks r like Erase and returns the person (with the identifiers Resolvers
// add) and how many stored statements name them (their own and others'), changing
// nothing: what a confirmation shows.
func (e *Eraser) Preview(ctx context.Context, r Request) (Person, int, error) {
	person, err := ParseRequest(r)
	if err != nil {
		return person, 0, err
	}
	var resolveErr error
	e.resolve(ctx, &person, func(step string, err error) { resolveErr = err })
	if resolveErr != nil {
		return person, 0, resolveErr
	}
	n := 0
	for after := int64(0); ; {
		recs, err := e.cfg.Store.StatementsMentioning(ctx, person.AgentKeys, after, e.cfg.Page)
		if err != nil || len(recs) == 0 {
			return person, n, err
		}
		n += len(recs)
		after = recs[len(recs)-1].Seq
	}
}

// Erasures lists at most limit audit records, newest first (AuditStore.Erasures).
func (e *Eraser) Erasures(ctx context.Context, limit int) ([]Record, error) {
	return e.cfg.Audit.Erasures(ctx, limit)
}

// Erase erases the person of r (see the package comment) and returns the audit record
// it stored. CodeInvalid for a bad request (nothing done). A failing step does not
// stop the others: the record lists it in Errors and Erase returns it with a
// CodeInternal error; every step is idempotent, so a repeat request completes the
// erasure. A repeat of a complete erasure changes nothing and reports zero counts.
func (e *Eraser) Erase(ctx context.Context, r Request) (Record, error) {
	person, err := ParseRequest(r)
	if err != nil {
		return Record{}, err
	}
	person.Anonymous = map[string]any{"objectType": "Agent",
		"account": map[string]any{"homePage": strings.TrimRight(e.cfg.HomePage, "/") + "/erased", "name": randomName()}}
	rec := Record{
		ID:          uuid.NewString(),
		At:          e.cfg.Now().UTC(),
		RequestedBy: strings.TrimSpace(r.RequestedBy),
		PersonHash:  PersonHash(e.cfg.AuditKey, person.AgentKeys),
		Agents:      len(person.AgentKeys),
	}
	fail := func(step string, err error) {
		e.cfg.Logger.Error("erasure: step failed", "erasure", rec.ID, "step", step, "err", err)
		rec.Errors = append(rec.Errors, step+": "+capture.ErrorMessage(err))
	}

	e.resolve(ctx, &person, fail)
	rec.Agents = len(person.AgentKeys)
	erased, err := e.statements(ctx, &person, &rec)
	if err != nil {
		fail("statements", err) // the partners still hear of what was erased
	}
	if n, err := e.cfg.Store.DeleteAgentDocuments(ctx, person.AgentKeys); err != nil {
		fail("documents", err)
	} else {
		rec.Documents = n
	}
	if e.cfg.Credentials != nil && e.cfg.Revoker != nil {
		keys, err := e.cfg.Credentials.CredentialsOf(ctx, person)
		if err != nil {
			fail("credentials", err)
		}
		for _, k := range keys {
			c, err := e.cfg.Revoker.Credential(ctx, k)
			if capture.ErrorCode(err) == capture.CodeNotFound || (err == nil && !c.RevokedAt.IsZero()) {
				continue // gone or revoked before: nothing to do
			}
			if err == nil {
				err = e.cfg.Revoker.RevokeCredential(ctx, k, rec.At)
			}
			if err != nil {
				fail("credentials", err)
				continue
			}
			rec.Credentials++
		}
	}
	for _, part := range e.cfg.Parts {
		n, err := part.ErasePerson(ctx, person)
		if err != nil {
			fail(part.Name(), err)
		}
		rec.Parts = append(rec.Parts, PartCount{Name: part.Name(), Count: n})
	}
	if e.cfg.Rollups != nil && (rec.StatementsDeleted+rec.StatementsAnonymised > 0 || len(rec.Errors) > 0) {
		if err := e.cfg.Rollups.ResetRollups(ctx); err != nil {
			fail("report figures", err)
		} else {
			rec.FiguresRebuilt = true
			if e.cfg.AfterReset != nil {
				e.cfg.AfterReset()
			}
		}
	}
	if e.cfg.Recaller != nil && len(erased) > 0 {
		recalls, err := e.cfg.Recaller.Recall(ctx, erased)
		if err != nil {
			fail("partners", err)
		}
		rec.Partners = recalls
	}
	if cp, ok := e.cfg.Store.(Checkpointer); ok {
		if err := cp.Checkpoint(ctx); err != nil {
			fail("checkpoint", err)
		}
	}
	rec.Reason = blank(strings.TrimSpace(r.Reason), person)
	if err := e.cfg.Audit.AddErasure(context.WithoutCancel(ctx), rec); err != nil {
		fail("audit record", err)
	}
	e.cfg.Logger.Info("erasure done", "erasure", rec.ID, "requested_by", rec.RequestedBy,
		"deleted", rec.StatementsDeleted, "anonymised", rec.StatementsAnonymised, "documents", rec.Documents, "errors", len(rec.Errors))
	if len(rec.Errors) > 0 {
		return rec, capture.Errorf(capture.CodeInternal, "erasure %s is incomplete (%s); run it again to complete it", rec.ID, strings.Join(rec.Errors, "; "))
	}
	return rec, nil
}

// resolve adds the agents that the Parts which are Resolvers know for person. The
// person hash keeps naming the identifiers of the request, so that a repeat request
// matches the record.
func (e *Eraser) resolve(ctx context.Context, person *Person, fail func(string, error)) {
	for _, part := range e.cfg.Parts {
		r, ok := part.(Resolver)
		if !ok {
			continue
		}
		agents, err := r.OtherAgents(ctx, *person)
		if err != nil {
			fail(part.Name(), err)
			continue
		}
		for _, a := range agents {
			k, err := capture.AgentKeyOf(a)
			if err != nil || slices.Contains(person.AgentKeys, k) {
				continue
			}
			person.AgentKeys = append(person.AgentKeys, k)
			person.Agents = append(person.Agents, a)
			if n, ok := a["name"].(string); ok {
				person.addName(n)
			}
		}
	}
	slices.Sort(person.AgentKeys)
}

// statements removes the person's statements and anonymises their mentions, a page
// at a time; it returns the removed records (for the partners) and adds the names it
// met to person.
func (e *Eraser) statements(ctx context.Context, person *Person, rec *Record) ([]capture.StatementRecord, error) {
	isPerson := func(v any) bool {
		a, ok := v.(map[string]any)
		if !ok {
			return false
		}
		k, err := capture.AgentKeyOf(a)
		return err == nil && slices.Contains(person.AgentKeys, k)
	}
	var erased []capture.StatementRecord
	for after := int64(0); ; {
		recs, err := e.cfg.Store.StatementsMentioning(ctx, person.AgentKeys, after, e.cfg.Page)
		if err != nil || len(recs) == 0 {
			return erased, err
		}
		after = recs[len(recs)-1].Seq
		var batch capture.EraseBatch
		var gone []capture.StatementRecord
		for _, r := range recs {
			st, err := capture.DecodeStored(r.Raw)
			if err != nil {
				return erased, err
			}
			if isPerson(st["actor"]) {
				collectNames(st, isPerson, person)
				batch.Delete = append(batch.Delete, r.ID)
				gone = append(gone, r)
				continue
			}
			rw := rewriter{isPerson: isPerson, person: person}
			capture.EachAgentValue(st, rw.agent)
			rw.agent(st["authority"])
			raw, keys := capture.EncodeStored(st)
			if mentions(keys, person.AgentKeys) { // somewhere this code does not rewrite: remove it
				batch.Delete = append(batch.Delete, r.ID)
				gone = append(gone, r)
				continue
			}
			r.Raw, r.Keys = raw, keys
			batch.Replace = append(batch.Replace, r)
		}
		if err := e.cfg.Store.EraseStatements(ctx, batch); err != nil {
			return erased, err
		}
		erased = append(erased, gone...)
		rec.StatementsDeleted += len(batch.Delete)
		rec.StatementsAnonymised += len(batch.Replace)
	}
}

// mentions reports whether any match key names one of agentKeys.
func mentions(keys, agentKeys []string) bool {
	for _, k := range keys {
		if _, v, ok := strings.Cut(k, "|"); ok && slices.Contains(agentKeys, v) {
			return true
		}
	}
	return false
}

// rewriter replaces the person with the anonymous agent wherever an Agent or Group
// member stands (xAPI 1.0.3 Data 2.4.2, 2.4.6, 2.4.9): actor, object, context
// instructor and team, authority, group members, and inside a SubStatement.
type rewriter struct {
	isPerson func(any) bool
	person   *Person
}

func (w rewriter) agent(v any) {
	a, ok := v.(map[string]any)
	if !ok {
		return
	}
	if members, ok := a["member"].([]any); ok {
		for _, m := range members {
			w.agent(m)
		}
	}
	if !w.isPerson(a) {
		return
	}
	if n, ok := a["name"].(string); ok {
		w.person.addName(n)
	}
	for _, f := range []string{"mbox", "mbox_sha1sum", "openid", "account", "name"} {
		delete(a, f)
	}
	a["account"] = map[string]any{
		"homePage": w.person.Anonymous["account"].(map[string]any)["homePage"],
		"name":     w.person.Anonymous["account"].(map[string]any)["name"],
	}
}

// collectNames adds the names the person carries anywhere in st to person.
func collectNames(st map[string]any, isPerson func(any) bool, person *Person) {
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if isPerson(t) {
				if n, ok := t["name"].(string); ok {
					person.addName(n)
				}
			}
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(st)
}

// blank replaces the person's identifiers and names in s.
func blank(s string, p Person) string {
	var words []string
	for _, a := range p.Agents {
		for _, f := range []string{"mbox", "mbox_sha1sum", "openid"} {
			if v, ok := a[f].(string); ok {
				words = append(words, v, strings.TrimPrefix(v, "mailto:"))
			}
		}
		if acc, ok := a["account"].(map[string]any); ok {
			if n, ok := acc["name"].(string); ok {
				words = append(words, n)
			}
		}
	}
	words = append(words, p.Names...)
	// Longest first, so that a name inside an address does not leave the rest behind.
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	for _, w := range words {
		if len(w) >= 2 {
			s = replaceFold(s, w, "[erased]")
		}
	}
	return s
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	lo, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lo) != len(s) { // case folding changed lengths: fall back to exact matches
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lo, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lo = s[i+len(old):], lo[i+len(old):]
	}
}

// PersonHash returns the audit record's name for the person with agentKeys: hex
// HMAC-SHA-256 under key of the sorted keys, so that a later request for the same
// person can be matched without the record naming them; "" without a key.
func PersonHash(key []byte, agentKeys []string) string {
	if len(key) == 0 {
		return ""
	}
	keys := slices.Clone(agentKeys)
	slices.Sort(keys)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(keys, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

// randomName returns the name of an anonymous account: 16 random bytes in hex,
// unrelated to the person.
func randomName() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uuid.NewString()
	}
	return hex.EncodeToString(b[:])
}
