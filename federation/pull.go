package federation

import (
	"context"
	"encoding/json"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/google/uuid"
)

// PullResult is what one sync stored.
type PullResult struct {
	Stored       int // statements written (identical repeats included)
	DeadLettered int
	Pages        int
}

// Pull syncs the named partner once (xAPI 1.0.3 Communication 2.1.3 as a client):
// GET statements?since=<cursor>&ascending=true&attachments=true, following more links,
// storing each page through the statement service with the partner as Origin and its
// authority kept, and never past the partner's X-Experience-API-Consistent-Through
// (a statement stored later waits for the next sync). The cursor advances only after a
// page is stored. CodeNotFound for an unknown partner, CodeInvalid when it does not
// pull or is paused, CodeConflict when another instance holds the pull lease,
// CodeUnavailable when the partner fails (the error says how, in words).
func (m *Manager) Pull(ctx context.Context, name string) (PullResult, error) {
	var res PullResult
	p, err := m.cfg.Partners.Get(ctx, name)
	if err != nil {
		return res, err
	}
	if !p.Direction.Pulls() {
		return res, capture.Errorf(capture.CodeInvalid, "partner %s does not pull (direction %s)", name, p.Direction)
	}
	if p.Paused {
		return res, capture.Errorf(capture.CodeInvalid, "partner %s is paused", name)
	}
	store := m.cfg.Partners.store
	job := "pull:" + name
	lease := func() (bool, error) {
		now := m.cfg.Now()
		return store.AcquireLease(ctx, job, m.cfg.Holder, now, now.Add(m.cfg.LeaseTTL))
	}
	if ok, err := lease(); err != nil {
		return res, err
	} else if !ok {
		return res, capture.Errorf(capture.CodeConflict, "another Cairn instance is pulling from %s", name)
	}
	defer store.ReleaseLease(context.WithoutCancel(ctx), job, m.cfg.Holder)

	remote, err := m.cfg.Connect(p)
	if err != nil {
		return res, err
	}
	st, err := store.JobState(ctx, name, Pull)
	if err != nil {
		return res, err
	}
	meter := m.meter(name, Pull)
	fail := func(err error) (PullResult, error) {
		st.Failed++
		st.LastError, st.LastErrorAt = describe(err), m.cfg.Now().UTC()
		if perr := store.PutJobState(context.WithoutCancel(ctx), name, Pull, st); perr != nil {
			m.log.Warn("federation: cannot save the pull state", "partner", name, "err", perr)
		}
		return res, capture.Errorf(capture.CodeUnavailable, "pull from %s: %s", name, st.LastError)
	}
	page, err := remote.Statements(ctx, st.PullSince, p.Batch)
	for {
		if err != nil {
			return fail(err)
		}
		res.Pages++
		stored, dead, last, reachedCT, localErr := m.storePage(ctx, p, page)
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if len(dead) > 0 {
			if err := store.AddDeadLetters(ctx, dead); err != nil {
				return res, err
			}
		}
		if last != "" {
			st.PullSince = last
		}
		st.Delivered += int64(stored)
		st.DeadLettered += int64(len(dead))
		st.LastSuccess, st.LastError = m.cfg.Now().UTC(), ""
		meter.add(m.cfg.Now(), stored)
		st.Throughput = meter.rate(m.cfg.Now())
		if err := store.PutJobState(ctx, name, Pull, st); err != nil {
			return res, err
		}
		res.Stored += stored
		res.DeadLettered += len(dead)
		if localErr != nil {
			return fail(localErr)
		}
		if reachedCT || page.More == "" || len(page.Statements) == 0 {
			return res, nil
		}
		if ok, err := lease(); err != nil || !ok {
			return res, capture.Errorf(capture.CodeConflict, "lost the pull lease of %s", name)
		}
		page, err = remote.More(ctx, page.More)
	}
}

// storePage writes the page's statements stored at or before its Consistent-Through.
// It returns how many were stored, dead letters for those Cairn refused, the stored
// time of the last statement handled (the next since), whether it stopped at
// Consistent-Through, and a local store failure that stopped it (then last is "" and
// the page is taken again by the next sync).
func (m *Manager) storePage(ctx context.Context, p Partner, page Page) (int, []DeadLetter, string, bool, error) {
	principal := m.pullPrincipal(p)
	type entry struct {
		raw    json.RawMessage
		st     capture.Statement
		stored string
		err    error
	}
	var entries []entry
	reachedCT := false
	for _, raw := range page.Statements {
		var head struct {
			Stored string `json:"stored"`
		}
		_ = json.Unmarshal(raw, &head)
		if !page.ConsistentThrough.IsZero() {
			t, err := capture.ParseTimestamp(head.Stored)
			if err == nil && t.After(page.ConsistentThrough) {
				reachedCT = true
				break
			}
		}
		e := entry{raw: raw, stored: head.Stored}
		stmts, batch, err := capture.DecodeStatements(raw)
		if err == nil && (batch || len(stmts) != 1) {
			err = capture.Errorf(capture.CodeInvalid, "not a single statement")
		}
		if err == nil {
			e.st = stmts[0]
			delete(e.st, "stored") // the LRS sets its own (Data 2.4.8)
		} else {
			e.err = err
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return 0, nil, "", reachedCT, nil
	}
	partsFor := func(sts ...capture.Statement) map[string]capture.Attachment {
		parts := map[string]capture.Attachment{}
		for _, st := range sts {
			for _, sha := range capture.AttachmentSHA2s(st) {
				if a, ok := page.Attachments[sha]; ok {
					parts[sha] = a
				}
			}
		}
		return parts
	}
	var all []capture.Statement
	for _, e := range entries {
		if e.err == nil {
			all = append(all, e.st)
		}
	}
	stored := 0
	var dead []DeadLetter
	deadOf := func(e entry, err error) DeadLetter {
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(e.raw, &head)
		return DeadLetter{ID: uuid.NewString(), Partner: p.Name, Direction: Pull, StatementID: head.ID,
			Statement: append([]byte(nil), e.raw...), Reason: "Cairn refused it: " + capture.ErrorMessage(err), At: m.cfg.Now().UTC(), Attempts: 1}
	}
	if len(all) == len(entries) {
		if _, err := m.cfg.Statements.Write(ctx, capture.WriteRequest{Statements: all, Attachments: partsFor(all...), Principal: principal, Origin: p.Name}); err == nil {
			return len(all), nil, entries[len(entries)-1].stored, reachedCT, nil
		}
	}
	// One by one, so that one refused statement does not hold back the others. The
	// batch write filled properties in place, so each statement is decoded again.
	for _, e := range entries {
		if e.err != nil {
			dead = append(dead, deadOf(e, e.err))
			continue
		}
		e.st = decodeOne(e.raw)
		if _, err := m.cfg.Statements.Write(ctx, capture.WriteRequest{Statements: []capture.Statement{e.st}, Attachments: partsFor(e.st), Principal: principal, Origin: p.Name}); err != nil {
			if capture.ErrorCode(err) == capture.CodeInternal || capture.ErrorCode(err) == capture.CodeUnavailable || ctx.Err() != nil {
				// A local failure, not the statement's: stop before it, retry next time.
				return stored, dead, "", false, err
			}
			if capture.ErrorCode(err) == capture.CodeConflict && m.heldIdentical(ctx, e.raw) {
				stored++ // our own statement coming back, with the timestamp we filled in
				continue
			}
			dead = append(dead, deadOf(e, err))
			continue
		}
		stored++
	}
	return stored, dead, entries[len(entries)-1].stored, reachedCT, nil
}

// decodeOne parses a raw statement that parsed before, without its stored time; each
// call returns a fresh copy (Write fills properties in place).
func decodeOne(raw []byte) capture.Statement {
	stmts, _, _ := capture.DecodeStatements(raw)
	st := stmts[0]
	delete(st, "stored")
	return st
}

// pullPrincipal is the trusted writer of a partner's statements: their authority is
// kept; a statement without one gets the partner's (an account on its endpoint).
func (m *Manager) pullPrincipal(p Partner) capture.Principal {
	auth := map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": p.Endpoint, "name": p.Name}}
	key, _ := capture.AgentKeyOf(auth)
	return capture.Principal{
		Credential:   capture.Credential{Key: "partner:" + p.Name, Name: p.Name, Scopes: []string{capture.ScopeStatementsWrite}, Trusted: true},
		Authority:    auth,
		AuthorityKey: key,
	}
}

// heldIdentical reports whether the statement stored here under raw's id is the same
// statement as raw once both carry every property (a statement written here without a
// timestamp is stored with the one Cairn filled in, and comes back from a partner with
// it).
func (m *Manager) heldIdentical(ctx context.Context, raw []byte) bool {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil || head.ID == "" {
		return false
	}
	recs, err := m.cfg.Feed.StatementsByID(ctx, []string{head.ID})
	if err != nil {
		return false
	}
	r, ok := recs[head.ID]
	return ok && sameStatement(r.Raw, raw)
}
