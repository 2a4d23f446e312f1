package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
)

// schemaSets are the store's independent schemas, one per domain, each with its own
// version. A set's migrations are applied in order; migrations[i] brings the set from
// version i to version i+1. Applied migrations are never edited: a change is a new
// entry. A domain adds its tables by adding a set here; set names never change.
var schemaSets = []schemaSet{
	{name: "capture", migrations: captureMigrations},
	{name: "reports", migrations: reportsMigrations},
	{name: "federation", migrations: federationMigrations},
	{name: "slack", migrations: slackMigrations},
	{name: "qa", migrations: qaMigrations},
	{name: "erasure", migrations: erasureMigrations},
}

// schemaSet is one domain's ordered migrations.
type schemaSet struct {
	name       string
	migrations []string
}

// captureMigrations hold the LRS tables.
//
// Statement match keys live in stmt_keys, one row per (value, statement): an agent's
// agent, related-agent and authority keys share the row of its KeyAgent key, an
// activity's activity and related-activity keys the row of its KeyActivity key, and
// verbs and registrations have a row each (since migration 2; before it every key had
// its own row). The flags f say in which roles the value appears: bits 0-7 for the
// statement's own keys, bits 8-15 for the keys it inherits through its StatementRef
// chain (role bits in statements.go). A query for keys k1..kn drives from the
// (kid, seq) primary key of k1 in Seq order and probes the others by (kid, seq); it
// matches when every row holds its key's role and the roles are all own or all
// inherited. Each statement appears once per value, so "ORDER BY seq LIMIT n" stops
// after n rows without a DISTINCT. Key strings are interned in key_ids so that the
// index rows stay a few bytes long.
//
// Sharing rows halves the index rows that a typical statement adds (an actor and an
// object activity each took two), which is most of what an insert costs. The price:
// a query for a narrow role (agent=X without related_agents, activity=Y without
// related_activities) walks the rows of X or Y in every role and skips those without
// the role, so it is slower when X or Y mostly appears in other roles (an agent that
// is mostly an authority or instructor, a course that is mostly a parent activity).
var captureMigrations = []string{
	// 1: initial schema.
	`
CREATE TABLE statements (
	seq         INTEGER PRIMARY KEY,
	id          TEXT    NOT NULL UNIQUE,
	stored      INTEGER NOT NULL,          -- unix nanoseconds, UTC
	raw         BLOB    NOT NULL,
	hash        TEXT    NOT NULL,          -- unused, written '' (statements are compared from raw)
	ref_target  TEXT,                      -- NULL when the object is not a StatementRef
	void_target TEXT,                      -- NULL unless the statement voids another
	voided      INTEGER NOT NULL DEFAULT 0,
	origin      TEXT    NOT NULL DEFAULT '',
	attach      TEXT,                      -- JSON array of attachment sha2, NULL when none
	keys        TEXT    NOT NULL,          -- JSON array of own match keys
	ikeys       TEXT                       -- JSON array of inherited match keys, NULL when none
);
CREATE INDEX statements_stored ON statements (stored);
CREATE INDEX statements_ref_target ON statements (ref_target) WHERE ref_target IS NOT NULL;
CREATE INDEX statements_void_target ON statements (void_target) WHERE void_target IS NOT NULL;

CREATE TABLE key_ids (
	id  INTEGER PRIMARY KEY,
	key TEXT NOT NULL UNIQUE
);

CREATE TABLE stmt_keys (
	kid INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	f   INTEGER NOT NULL,                  -- 1 own, 2 inherited, 3 both
	PRIMARY KEY (kid, seq)
) WITHOUT ROWID;

CREATE TABLE attachments (
	sha2         TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	content      BLOB NOT NULL
);

CREATE TABLE activities (
	id         TEXT PRIMARY KEY,
	definition BLOB
);

CREATE TABLE documents (
	kind         TEXT    NOT NULL,
	activity_id  TEXT    NOT NULL,
	agent_key    TEXT    NOT NULL,
	registration TEXT    NOT NULL,
	doc_id       TEXT    NOT NULL,
	content_type TEXT    NOT NULL,
	content      BLOB    NOT NULL,
	etag         TEXT    NOT NULL,
	updated      INTEGER NOT NULL          -- unix nanoseconds, UTC
);
-- The unique key doubles as the list index: every scope is a prefix of it and the
-- ids come out sorted.
CREATE UNIQUE INDEX documents_key ON documents (kind, activity_id, agent_key, registration, doc_id);

CREATE TABLE credentials (
	key          TEXT PRIMARY KEY,
	name         TEXT    NOT NULL,
	secret_hash  TEXT    NOT NULL,
	scopes       TEXT    NOT NULL,         -- JSON array
	trusted      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,         -- unix nanoseconds, UTC
	last_used_at INTEGER,
	revoked_at   INTEGER
);

-- meta holds store-wide flags. stored_monotonic stays 1 while every statement's
-- stored time is at least that of the statement before it in seq order; queries then
-- turn since/until into seq bounds.
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('stored_monotonic', 1);
`,
	// 2: one stmt_keys row per (value, statement) with role flags: related-agent and
	// authority rows join the agent's row, related-activity rows the activity's. Old
	// flags: 1 own, 2 inherited; new: role bit, shifted by 8 when inherited.
	`
CREATE TEMP TABLE key_roles AS
	SELECT id AS old_kid,
		CASE substr(key, 1, 3) WHEN 'ra|' THEN 'a|' || substr(key, 4) WHEN 'au|' THEN 'a|' || substr(key, 4)
			WHEN 'ro|' THEN 'o|' || substr(key, 4) ELSE key END AS new_key,
		CASE substr(key, 1, 3) WHEN 'ra|' THEN 2 WHEN 'au|' THEN 4 WHEN 'ro|' THEN 2 ELSE 1 END AS role
	FROM key_ids;
INSERT OR IGNORE INTO key_ids (key) SELECT new_key FROM key_roles;
CREATE TABLE stmt_keys_roles (
	kid INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	f   INTEGER NOT NULL,                  -- role bits: own in bits 0-7, inherited in bits 8-15
	PRIMARY KEY (kid, seq)
) WITHOUT ROWID;
INSERT INTO stmt_keys_roles (kid, seq, f)
	SELECT k.id, s.seq, ((s.f & 1) * r.role) | (((s.f & 2) >> 1) * (r.role << 8))
	FROM stmt_keys s JOIN key_roles r ON r.old_kid = s.kid JOIN key_ids k ON k.key = r.new_key
	WHERE true
	ORDER BY 1, 2
	ON CONFLICT (kid, seq) DO UPDATE SET f = f | excluded.f;
DROP TABLE stmt_keys;
ALTER TABLE stmt_keys_roles RENAME TO stmt_keys;
DELETE FROM key_ids WHERE substr(key, 1, 3) IN ('ra|', 'au|', 'ro|');
DROP TABLE key_roles;
`,
	// 3: personal credentials (the person's agent as JSON) and their connect codes.
	`
ALTER TABLE credentials ADD COLUMN agent TEXT;     -- NULL unless the credential is personal
CREATE TABLE connect_codes (
	hash       TEXT PRIMARY KEY,                   -- hex SHA-256 of the code
	agent      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,                   -- unix nanoseconds, UTC
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
}

// migrate brings every schema set to its newest version in one transaction. A set at
// its newest version is left untouched; one newer than this code is an error.
//
// Versions live in schema_versions (one row per set). Databases made before sets
// existed hold the capture version in schema_version; it is carried over once.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		return err
	}
	var legacy int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&legacy); err != nil {
		return err
	}
	if legacy > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO schema_versions (name, version) SELECT 'capture', version FROM schema_version`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE schema_version`); err != nil {
			return err
		}
	}
	changed := legacy > 0
	for _, set := range schemaSets {
		var version int
		switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_versions WHERE name = ?`, set.name).Scan(&version); err {
		case nil, sql.ErrNoRows:
		default:
			return err
		}
		if version > len(set.migrations) {
			return fmt.Errorf("database schema %q is at version %d, newer than this program's %d", set.name, version, len(set.migrations))
		}
		if version == len(set.migrations) {
			continue
		}
		for i := version; i < len(set.migrations); i++ {
			if _, err := tx.ExecContext(ctx, set.migrations[i]); err != nil {
				return fmt.Errorf("schema %q migration %d: %w", set.name, i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_versions (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version`, set.name, len(set.migrations)); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return tx.Commit()
}
