package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// touchInterval coalesces TouchCredential writes: a use within this interval of the
// recorded one is not written.
const touchInterval = time.Minute

// CreateCredential stores c; CodeConflict if c.Key exists.
func (s *Store) CreateCredential(ctx context.Context, c capture.Credential) error {
	scopes, err := json.Marshal(nonNil(c.Scopes))
	if err != nil {
		return internal(err, "create credential")
	}
	agent, err := agentColumn(c.Agent)
	if err != nil {
		return internal(err, "create credential")
	}
	return s.writeTx(ctx, "create credential", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO credentials (key, name, secret_hash, scopes, trusted, created_at, last_used_at, revoked_at, agent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Key, c.Name, c.SecretHash, string(scopes), c.Trusted, c.CreatedAt.UnixNano(), nullTime(c.LastUsedAt), nullTime(c.RevokedAt), agent)
		if isUniqueViolation(err) {
			return capture.Errorf(capture.CodeConflict, "credential %s exists", c.Key)
		}
		return err
	})
}

const credentialColumns = `key, name, secret_hash, scopes, trusted, created_at, last_used_at, revoked_at, agent`

// agentColumn encodes an agent as JSON, nil as NULL.
func agentColumn(agent map[string]any) (any, error) {
	if agent == nil {
		return nil, nil
	}
	b, err := json.Marshal(agent)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// agentOf reverses agentColumn.
func agentOf(col sql.NullString) (map[string]any, error) {
	if !col.Valid {
		return nil, nil
	}
	var agent map[string]any
	if err := json.Unmarshal([]byte(col.String), &agent); err != nil {
		return nil, err
	}
	return agent, nil
}

// scanCredential reads credentialColumns.
func scanCredential(row interface{ Scan(...any) error }) (capture.Credential, error) {
	var c capture.Credential
	var scopes string
	var created int64
	var used, revoked sql.NullInt64
	var agent sql.NullString
	if err := row.Scan(&c.Key, &c.Name, &c.SecretHash, &scopes, &c.Trusted, &created, &used, &revoked, &agent); err != nil {
		return c, err
	}
	var err error
	if c.Agent, err = agentOf(agent); err != nil {
		return c, err
	}
	if c.Scopes, err = decodeList(scopes); err != nil {
		return c, err
	}
	c.CreatedAt = time.Unix(0, created).UTC()
	c.LastUsedAt, c.RevokedAt = fromNullTime(used), fromNullTime(revoked)
	return c, nil
}

// Credential returns the credential with key (revoked ones too), or CodeNotFound.
func (s *Store) Credential(ctx context.Context, key string) (capture.Credential, error) {
	st, err := s.readStmt(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE key = ?`)
	if err != nil {
		return capture.Credential{}, internal(err, "credential")
	}
	c, err := scanCredential(st.QueryRowContext(ctx, key))
	if errors.Is(err, sql.ErrNoRows) {
		return capture.Credential{}, capture.Errorf(capture.CodeNotFound, "no such credential")
	}
	if err != nil {
		return capture.Credential{}, internal(err, "credential")
	}
	return c, nil
}

// Credentials lists all credentials, oldest first (creation order among equal times).
func (s *Store) Credentials(ctx context.Context) ([]capture.Credential, error) {
	st, err := s.readStmt(ctx, `SELECT `+credentialColumns+` FROM credentials ORDER BY created_at, rowid`)
	if err != nil {
		return nil, internal(err, "credentials")
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, internal(err, "credentials")
	}
	defer rows.Close()
	var out []capture.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, internal(err, "credentials")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "credentials")
	}
	return out, nil
}

// RevokeCredential sets RevokedAt to at; a repeat call keeps the first time.
// CodeNotFound for an unknown key.
func (s *Store) RevokeCredential(ctx context.Context, key string, at time.Time) error {
	return s.writeTx(ctx, "revoke credential", func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `UPDATE credentials SET revoked_at = COALESCE(revoked_at, ?) WHERE key = ?`, at.UnixNano(), key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return capture.Errorf(capture.CodeNotFound, "no such credential")
		}
		return nil
	})
}

// TouchCredential records a use at at. Uses within a minute of the recorded one are
// not written, so authenticating requests rarely take the write lock. CodeNotFound
// for an unknown key.
func (s *Store) TouchCredential(ctx context.Context, key string, at time.Time) error {
	c, err := s.Credential(ctx, key)
	if err != nil {
		return err
	}
	if !c.LastUsedAt.IsZero() && at.Sub(c.LastUsedAt) < touchInterval {
		return nil
	}
	return s.writeTx(ctx, "touch credential", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `UPDATE credentials SET last_used_at = ? WHERE key = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			at.UnixNano(), key, at.UnixNano())
		return err
	})
}

// nullTime maps the zero time to NULL and others to unix nanoseconds.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// fromNullTime reverses nullTime.
func fromNullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// CreateConnectCode stores c and drops codes expired before c was made; CodeConflict
// if c.Hash exists.
func (s *Store) CreateConnectCode(ctx context.Context, c capture.ConnectCode) error {
	agent, err := agentColumn(c.Agent)
	if err != nil || agent == nil {
		return internal(err, "create connect code")
	}
	return s.writeTx(ctx, "create connect code", func(tx *sql.Tx) error {
		if _, err := s.txExec(ctx, tx, `DELETE FROM connect_codes WHERE expires_at <= ?`, c.CreatedAt.UnixNano()); err != nil {
			return err
		}
		_, err := s.txExec(ctx, tx, `INSERT INTO connect_codes (hash, agent, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			c.Hash, agent, c.CreatedAt.UnixNano(), c.ExpiresAt.UnixNano())
		if isUniqueViolation(err) {
			return capture.Errorf(capture.CodeConflict, "connect code exists")
		}
		return err
	})
}

// TakeConnectCode deletes the code with hash and returns it; CodeNotFound when absent.
// The delete runs under the write lock, so one caller at most gets a code.
func (s *Store) TakeConnectCode(ctx context.Context, hash string) (capture.ConnectCode, error) {
	var c capture.ConnectCode
	err := s.writeTx(ctx, "take connect code", func(tx *sql.Tx) error {
		var agent sql.NullString
		var created, expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM connect_codes WHERE hash = ? RETURNING hash, agent, created_at, expires_at`, hash).
			Scan(&c.Hash, &agent, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return capture.Errorf(capture.CodeNotFound, "no such connect code")
		}
		if err != nil {
			return err
		}
		c.CreatedAt, c.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
		c.Agent, err = agentOf(agent)
		return err
	})
	return c, err
}
