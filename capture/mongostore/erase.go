package mongostore

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// maxRefLevels bounds the StatementRef levels along which an erasure recomputes
// inherited keys (cycles end here).
const maxRefLevels = 64

// StatementsMentioning returns at most limit visible statements after afterSeq whose
// own keys name any of agentKeys in any role (see capture.StatementStore), in seq
// order. CodeInvalid for limit < 1 or more than 256 keys.
func (s *Store) StatementsMentioning(ctx context.Context, agentKeys []string, afterSeq int64, limit int) ([]capture.StatementRecord, error) {
	if limit < 1 || len(agentKeys) > 256 {
		return nil, capture.Errorf(capture.CodeInvalid, "statements mentioning agents: limit must be positive and at most 256 agents given")
	}
	out := []capture.StatementRecord{}
	if len(agentKeys) == 0 {
		return out, nil
	}
	keys := make([]string, 0, 3*len(agentKeys))
	for _, k := range agentKeys {
		keys = append(keys, capture.KeyAgent(k), capture.KeyRelatedAgent(k), capture.KeyAuthority(k))
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var docs []stmtDoc
	filter := in("keys", keys)
	for _, e := range sn.visible(sn.last) {
		if e.Key == "seq" { // one seq condition: after afterSeq, within the snapshot
			e.Value = bson.D{{Key: "$gt", Value: afterSeq}, {Key: "$lte", Value: sn.last}}
		}
		filter = append(filter, e)
	}
	if err := s.findAll(ctx, s.statements, filter, &docs,
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit))); err != nil {
		return nil, err
	}
	for _, d := range docs {
		out = append(out, d.record())
	}
	return out, nil
}

// EraseStatements deletes and rewrites statements (see capture.EraseBatch). Without
// transactions the steps are separate writes, each idempotent: after a failure a
// repeat call with the same batch completes the erasure. Sequence numbers come from
// the counters document and are never reused.
func (s *Store) EraseStatements(ctx context.Context, b capture.EraseBatch) error {
	if len(b.Delete) == 0 && len(b.Replace) == 0 {
		return nil
	}
	var gone []stmtDoc
	if len(b.Delete) > 0 {
		if err := s.findAll(ctx, s.statements, in("_id", b.Delete), &gone,
			options.Find().SetProjection(bson.D{{Key: "attach", Value: 1}})); err != nil {
			return err
		}
		if _, err := s.statements.DeleteMany(ctx, in("_id", b.Delete)); err != nil {
			return storeErr(err, "cannot erase statements")
		}
	}
	changed := slices.Clone(b.Delete)
	for _, r := range b.Replace {
		if slices.Contains(b.Delete, r.ID) {
			continue
		}
		res, err := s.statements.UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, bson.D{{Key: "$set", Value: bson.D{
			{Key: "raw", Value: r.Raw}, {Key: "keys", Value: union(nil, r.Keys)},
		}}, {Key: "$unset", Value: bson.D{{Key: "hash", Value: ""}}}}) // written by earlier versions
		if err != nil {
			return storeErr(err, "cannot rewrite a statement")
		}
		if res.MatchedCount > 0 {
			changed = append(changed, r.ID)
		}
	}
	if err := s.reinherit(ctx, changed); err != nil {
		return err
	}
	var shas []string
	for _, d := range gone {
		shas = append(shas, d.Attach...)
	}
	return s.dropUnusedAttachments(ctx, shas)
}

// reinherit computes anew the inherited keys of the statements whose StatementRef
// targets a changed id, level by level: a target's own and inherited keys, or none
// when the target is gone.
func (s *Store) reinherit(ctx context.Context, changed []string) error {
	for level := 0; len(changed) > 0 && level < maxRefLevels; level++ {
		refs, err := s.related(ctx, in("refTarget", changed))
		if err != nil {
			return err
		}
		targetIDs := make([]string, 0, len(refs))
		for _, r := range refs {
			targetIDs = append(targetIDs, r.RefTarget)
		}
		targets := map[string]relDoc{}
		if len(targetIDs) > 0 {
			rows, err := s.related(ctx, in("_id", targetIDs))
			if err != nil {
				return err
			}
			for _, t := range rows {
				targets[t.ID] = t
			}
		}
		changed = nil
		for _, r := range refs {
			want := []string{}
			if t, ok := targets[r.RefTarget]; ok {
				want = union(t.Keys, t.IKeys)
			}
			if slices.Equal(want, union(nil, r.IKeys)) {
				continue
			}
			if _, err := s.statements.UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "ikeys", Value: want}}}}); err != nil {
				return storeErr(err, "cannot update inherited keys")
			}
			changed = append(changed, r.ID)
		}
	}
	return nil
}

// dropUnusedAttachments deletes the contents among shas that no statement lists.
func (s *Store) dropUnusedAttachments(ctx context.Context, shas []string) error {
	slices.Sort(shas)
	for _, sha := range slices.Compact(shas) {
		n, err := s.statements.CountDocuments(ctx, bson.D{{Key: "attach", Value: sha}})
		if err != nil {
			return storeErr(err, "cannot check attachment use")
		}
		if n > 0 {
			continue
		}
		// The head first: without it the content counts as absent (attachments.go).
		if _, err := s.attachments.DeleteOne(ctx, bson.D{{Key: "_id", Value: sha}}); err != nil {
			return storeErr(err, "cannot erase an attachment")
		}
		if _, err := s.chunks.DeleteMany(ctx, bson.D{{Key: "sha2", Value: sha}}); err != nil {
			return storeErr(err, "cannot erase an attachment")
		}
	}
	return nil
}

// DeleteAgentDocuments removes the state and agent profile documents of agentKeys and
// reports how many (see capture.DocumentStore).
func (s *Store) DeleteAgentDocuments(ctx context.Context, agentKeys []string) (int, error) {
	if len(agentKeys) == 0 {
		return 0, nil
	}
	filter := append(in("agentKey", agentKeys),
		bson.E{Key: "kind", Value: bson.D{{Key: "$in", Value: bson.A{string(capture.KindState), string(capture.KindAgentProfile)}}}})
	res, err := s.documents.DeleteMany(ctx, filter)
	if err != nil {
		return 0, storeErr(err, "cannot erase documents")
	}
	return int(res.DeletedCount), nil
}
