package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

// federationMigrations hold the federation tables: partners (settings as JSON, the
// credentials sealed), one state per partner job, dead letters, and job leases. The
// statements use IF NOT EXISTS so that a database whose set versions were lost (the
// legacy single-version layout) can run them again.
var federationMigrations = []string{
	// 1: initial schema.
	`
CREATE TABLE IF NOT EXISTS fed_partners (
	name   TEXT PRIMARY KEY,
	config BLOB NOT NULL,                  -- federation.Partner as JSON, without credentials
	sealed BLOB NOT NULL                   -- AES-GCM sealed credentials
);
CREATE TABLE IF NOT EXISTS fed_states (
	partner TEXT NOT NULL,
	dir     TEXT NOT NULL,
	state   BLOB NOT NULL,                 -- federation.State as JSON
	PRIMARY KEY (partner, dir)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fed_dead_letters (
	n       INTEGER PRIMARY KEY,           -- insertion order
	id      TEXT NOT NULL UNIQUE,
	partner TEXT NOT NULL,
	letter  BLOB NOT NULL                  -- federation.DeadLetter as JSON
);
CREATE INDEX IF NOT EXISTS fed_dead_letters_partner ON fed_dead_letters (partner, n);
CREATE TABLE IF NOT EXISTS fed_leases (
	job    TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	until  INTEGER NOT NULL                -- unix nanoseconds
) WITHOUT ROWID;
`,
}

var _ federation.Store = (*Store)(nil)

// CreatePartner stores r; CodeConflict when its name exists.
func (s *Store) CreatePartner(ctx context.Context, r federation.PartnerRecord) error {
	cfg, err := json.Marshal(r.Partner)
	if err != nil {
		return internal(err, "create partner")
	}
	return s.writeTx(ctx, "create partner", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fed_partners (name, config, sealed) VALUES (?, ?, ?)`, r.Partner.Name, cfg, r.SealedAuth)
		if isUniqueViolation(err) {
			return capture.Errorf(capture.CodeConflict, "partner %s exists", r.Partner.Name)
		}
		return err
	})
}

// PutPartner replaces the partner with r's name; CodeNotFound when absent.
func (s *Store) PutPartner(ctx context.Context, r federation.PartnerRecord) error {
	cfg, err := json.Marshal(r.Partner)
	if err != nil {
		return internal(err, "put partner")
	}
	return s.writeTx(ctx, "put partner", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE fed_partners SET config = ?, sealed = ? WHERE name = ?`, cfg, r.SealedAuth, r.Partner.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return capture.Errorf(capture.CodeNotFound, "no partner %s", r.Partner.Name)
		}
		return nil
	})
}

func scanPartner(row interface{ Scan(...any) error }) (federation.PartnerRecord, error) {
	var r federation.PartnerRecord
	var cfg []byte
	if err := row.Scan(&cfg, &r.SealedAuth); err != nil {
		return r, err
	}
	return r, json.Unmarshal(cfg, &r.Partner)
}

// Partner returns the named partner, or CodeNotFound.
func (s *Store) Partner(ctx context.Context, name string) (federation.PartnerRecord, error) {
	r, err := scanPartner(s.r.QueryRowContext(ctx, `SELECT config, sealed FROM fed_partners WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, capture.Errorf(capture.CodeNotFound, "no partner %s", name)
	}
	if err != nil {
		return r, internal(err, "partner")
	}
	return r, nil
}

// Partners lists every partner by name.
func (s *Store) Partners(ctx context.Context) ([]federation.PartnerRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT config, sealed FROM fed_partners ORDER BY name`)
	if err != nil {
		return nil, internal(err, "partners")
	}
	defer rows.Close()
	var out []federation.PartnerRecord
	for rows.Next() {
		r, err := scanPartner(rows)
		if err != nil {
			return nil, internal(err, "partners")
		}
		out = append(out, r)
	}
	return out, internal2(rows.Err(), "partners")
}

// internal2 is internal for a possibly nil error.
func internal2(err error, op string) error {
	if err == nil {
		return nil
	}
	return internal(err, op)
}

// DeletePartner removes the partner with its states, dead letters and leases;
// CodeNotFound when absent.
func (s *Store) DeletePartner(ctx context.Context, name string) error {
	return s.writeTx(ctx, "delete partner", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM fed_partners WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return capture.Errorf(capture.CodeNotFound, "no partner %s", name)
		}
		for _, q := range []string{
			`DELETE FROM fed_states WHERE partner = ?`,
			`DELETE FROM fed_dead_letters WHERE partner = ?`,
			`DELETE FROM fed_leases WHERE job IN ('push:' || ?1, 'pull:' || ?1)`,
		} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// JobState returns a job's state; the zero State when none was saved.
func (s *Store) JobState(ctx context.Context, partner string, dir federation.Direction) (federation.State, error) {
	var st federation.State
	var raw []byte
	err := s.r.QueryRowContext(ctx, `SELECT state FROM fed_states WHERE partner = ? AND dir = ?`, partner, string(dir)).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	return st, internal2(err, "job state")
}

// PutJobState saves a job's state, replacing the previous one.
func (s *Store) PutJobState(ctx context.Context, partner string, dir federation.Direction, st federation.State) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return internal(err, "put job state")
	}
	return s.writeTx(ctx, "put job state", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO fed_states (partner, dir, state) VALUES (?, ?, ?)
			ON CONFLICT (partner, dir) DO UPDATE SET state = excluded.state`, partner, string(dir), raw)
		return err
	})
}

// AddDeadLetters stores letters; a repeat id is CodeConflict and nothing is stored.
func (s *Store) AddDeadLetters(ctx context.Context, letters []federation.DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	return s.writeTx(ctx, "add dead letters", func(tx *sql.Tx) error {
		for _, l := range letters {
			raw, err := json.Marshal(l)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO fed_dead_letters (id, partner, letter) VALUES (?, ?, ?)`, l.ID, l.Partner, raw)
			if isUniqueViolation(err) {
				return capture.Errorf(capture.CodeConflict, "dead letter %s exists", l.ID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// DeadLetters lists at most limit letters of partner ("" for all; limit <= 0: no
// limit), oldest first.
func (s *Store) DeadLetters(ctx context.Context, partner string, limit int) ([]federation.DeadLetter, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT letter FROM fed_dead_letters WHERE ?1 = '' OR partner = ?1 ORDER BY n LIMIT ?2`, partner, limit)
	if err != nil {
		return nil, internal(err, "dead letters")
	}
	defer rows.Close()
	var out []federation.DeadLetter
	for rows.Next() {
		var raw []byte
		var l federation.DeadLetter
		if err := rows.Scan(&raw); err != nil {
			return nil, internal(err, "dead letters")
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, internal(err, "dead letters")
		}
		out = append(out, l)
	}
	return out, internal2(rows.Err(), "dead letters")
}

// DeadLetter returns one letter, or CodeNotFound.
func (s *Store) DeadLetter(ctx context.Context, id string) (federation.DeadLetter, error) {
	var l federation.DeadLetter
	var raw []byte
	err := s.r.QueryRowContext(ctx, `SELECT letter FROM fed_dead_letters WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return l, capture.Errorf(capture.CodeNotFound, "no dead letter %s", id)
	}
	if err == nil {
		err = json.Unmarshal(raw, &l)
	}
	return l, internal2(err, "dead letter")
}

// DeleteDeadLetter removes one letter; CodeNotFound when absent.
func (s *Store) DeleteDeadLetter(ctx context.Context, id string) error {
	return s.writeTx(ctx, "delete dead letter", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM fed_dead_letters WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return capture.Errorf(capture.CodeNotFound, "no dead letter %s", id)
		}
		return nil
	})
}

// AcquireLease makes holder the holder of job until until when it is free, already
// holder's, or expired before now; it reports whether holder holds it afterwards.
func (s *Store) AcquireLease(ctx context.Context, job, holder string, now, until time.Time) (bool, error) {
	got := false
	err := s.writeTx(ctx, "acquire lease", func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `INSERT INTO fed_leases (job, holder, until) VALUES (?1, ?2, ?3)
			ON CONFLICT (job) DO UPDATE SET holder = ?2, until = ?3 WHERE fed_leases.holder = ?2 OR fed_leases.until < ?4`,
			job, holder, until.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		got = n == 1
		return nil
	})
	return got, err
}

// ReleaseLease ends holder's lease on job; a lease held by another is untouched.
func (s *Store) ReleaseLease(ctx context.Context, job, holder string) error {
	return s.writeTx(ctx, "release lease", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM fed_leases WHERE job = ? AND holder = ?`, job, holder)
		return err
	})
}
