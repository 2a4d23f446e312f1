// Package mongostore is the production capture.Store on MongoDB, through the official
// driver go.mongodb.org/mongo-driver/v2 (https://pkg.go.dev/go.mongodb.org/mongo-driver/v2/mongo).
// It uses no multi-document transactions, change streams or $lookup, so that it also
// runs on FerretDB, which the tests use.
//
// # Collections
//
//   - statements: one document per statement, _id = statement id; seq (unique), stored,
//     raw (the statement JSON as BSON binary, never as a sub-document: extension keys are
//     IRIs with dots), hash, keys, ikeys (inherited keys), refTarget, voidTarget, voided,
//     attach, origin, and batch while its batch is not finished.
//   - counters: the document {_id: "statements", seq, open} that allocates sequence
//     numbers and lists the open batches.
//   - attachments (_id = sha2, a head) and attachmentChunks (the content in chunks of
//     4 MiB, so no attachment meets the 16 MiB document limit).
//   - activities (_id = activity id, definition as a JSON string), documents (_id = the
//     JSON array of the document key's fields), credentials (_id = key).
//
// # Batches without transactions
//
// A batch of statements becomes visible at one single-document write, its commit point.
// Before it, one read (snapshot and an $or find) checks that no id is stored (else
// CodeConflict, nothing written) and resolves the new statements' inherited keys and
// voided flags from what is visible. Then:
//
//  1. Register: one conditional update of the counters document moves seq from C to C+n
//     and adds open.<token> = {lo: C+1, hi: C+n, exp, st: "p"} (pending), exp being now
//     plus a lease (one minute).
//  2. Insert the statements (insertMany) with batch = token and seqs C+1..C+n, then
//     store the batch's attachments and upsert its activity definitions.
//  3. Commit: remove open.<token>, on condition that its st is still "p".
//  4. Effects: mark voided targets, add inherited keys to stored statements whose
//     StatementRef targets the batch (transitively), catch up with statements committed
//     meanwhile, then unset batch on the statements.

// Every read first loads the counters document (the reader's snapshot: seq C0 and the
// open tokens) and filters out statements whose batch is an open token or whose seq is
// above C0, so a reader sees all of a batch or none of it. Queries also stop below the
// lowest pending batch's lo (the watermark, which LastSeq reports), so that a cursor on
// seq never passes over a batch that commits later with lower seqs.
//
// Between steps 3 and 4 a reader may see the new statements while the statements they
// void are not yet marked voided, or while their referrers lack the inherited keys.
//
// A failure in step 2 (a duplicate id that a concurrent writer stored after the check,
// a network error) aborts: st becomes "a" (conditional on "p"),
// the batch's statements are deleted, then the entry is removed. A batch whose pending
// entry has expired is aborted the same way by any reader or by Open, and a commit
// after that fails, so commit and abort exclude each other.
//
// What a crash leaves:
//   - after 1 or during 2: a pending entry and some invisible statements. The entry holds
//     queries at its watermark until it expires; then the next read or Open aborts it
//     (deletes the statements). An entry aborted by expiry stays for ten minutes, so that
//     statements a stalled writer still inserts stay invisible and are deleted too.
//   - after 3, before 4 is done: the statements are committed and visible, still carrying
//     batch; Open redoes step 4 for them (every effect is idempotent).
//
// Sequence numbers of an aborted batch are never reused (gaps are allowed; order is what
// matters). Attachments and activity definitions written by a batch that then aborts
// stay: attachments are content-addressed and harmless, and definitions are merged
// canonical values.
//
// FerretDB (the test server) applies updates as a read then a write, so updates to one
// document are not atomic there; the Store therefore also serialises its own writes to
// the counters document with a mutex. With several Cairn instances only MongoDB is safe.
package mongostore
