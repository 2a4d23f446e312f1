package reports

import (
	"context"
	"log/slog"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Feed is the part of the statement store a rollup reads: every stored statement in
// sequence order (capture.StatementStore.StatementsAfter), and stored statements by
// id (to take back what a voided statement added).
type Feed interface {
	StatementsAfter(ctx context.Context, seq int64, limit int) ([]capture.StatementRecord, error)
	StatementsByID(ctx context.Context, ids []string) (map[string]capture.StatementRecord, error)
}

// Rollup keeps the aggregates of a Store in step with the statement feed.
type Rollup struct {
	Feed   Feed
	Store  Store
	Zone   *time.Location            // the organisation's time zone; nil: UTC
	TeamOf func(actor string) string // may be nil
	Batch  int                       // statements per step; 0: 1000
	Logger *slog.Logger
}

func (r *Rollup) zone() *time.Location {
	if r.Zone == nil {
		return time.UTC
	}
	return r.Zone
}

// Step applies the facts of the next batch of the feed and returns how many
// statements it read (0: the aggregates are up to date). When the aggregates were
// bucketed in another time zone, it first removes them, so the next steps rebuild
// from the start. CodeConflict when another process moved the position meanwhile (a
// later Step continues from there).
func (r *Rollup) Step(ctx context.Context) (int, error) {
	through, zone, err := r.Store.RollupState(ctx)
	if err != nil {
		return 0, err
	}
	if through > 0 && zone != r.zone().String() {
		if r.Logger != nil {
			r.Logger.Info("report figures use another time zone: rebuilding", "was", zone, "now", r.zone().String())
		}
		if err := r.Store.ResetRollups(ctx); err != nil {
			return 0, err
		}
		through = 0
	}
	n := r.Batch
	if n <= 0 {
		n = 1000
	}
	recs, err := r.Feed.StatementsAfter(ctx, through, n)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	b := Batch{After: through, Through: recs[len(recs)-1].Seq, Facts: make([]Fact, 0, len(recs))}
	// Voiding (xAPI 1.0.3 Data 2.3.2): a statement counts when rolled up; its voiding
	// statement, met later in the feed, takes the count back. A voiding statement that
	// comes before its target (stored earlier, or the target absent) marks the target
	// "voided ahead", and the target then never counts.
	var voids, voided []string
	for _, rec := range recs {
		if rec.VoidTarget != "" {
			voids = append(voids, rec.VoidTarget)
		}
		if rec.Voided {
			voided = append(voided, rec.ID)
		}
	}
	targets := map[string]capture.StatementRecord{}
	if len(voids) > 0 {
		if targets, err = r.Feed.StatementsByID(ctx, voids); err != nil {
			return 0, err
		}
	}
	ahead := map[string]bool{}
	if len(voided) > 0 {
		if ahead, err = r.Store.VoidedAhead(ctx, voided); err != nil {
			return 0, err
		}
	}
	for _, rec := range recs {
		if rec.VoidTarget != "" {
			t, ok := targets[rec.VoidTarget]
			if !ok || t.Seq > rec.Seq {
				ahead[rec.VoidTarget] = true
				b.VoidAhead = append(b.VoidAhead, rec.VoidTarget)
				continue
			}
			if f, ok := FactOf(t.Raw, t.Origin, r.zone(), r.TeamOf); ok {
				f.Sign = -1
				b.Facts = append(b.Facts, f)
			}
			continue
		}
		if rec.Voided && ahead[rec.ID] {
			b.VoidAheadDone = append(b.VoidAheadDone, rec.ID)
			continue
		}
		if f, ok := FactOf(rec.Raw, rec.Origin, r.zone(), r.TeamOf); ok {
			b.Facts = append(b.Facts, f)
		}
	}
	if err := r.Store.ApplyRollup(ctx, b, r.zone().String()); err != nil {
		return 0, err
	}
	return len(recs), nil
}

// CatchUp runs Step until the aggregates include every statement stored when it
// started or later, logging progress every few seconds on long runs; it returns the
// number of statements read.
func (r *Rollup) CatchUp(ctx context.Context) (int, error) {
	total := 0
	last := time.Now()
	for {
		n, err := r.Step(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
		if r.Logger != nil && time.Since(last) > 5*time.Second {
			last = time.Now()
			r.Logger.Info("report figures catching up", "statements", total)
		}
	}
}

// Run keeps the aggregates current until ctx ends: it catches up, then again every
// interval or when woken (send on wake after new statements; may be nil). Rolling up
// shares the store's writer with statement writes, so while writes keep arriving it
// yields: after each batch it rests nine times as long as the batch took (at most a
// tenth of the writer's time), catching up fully once writes pause. Errors are logged
// and retried at the next tick.
func (r *Rollup) Run(ctx context.Context, interval time.Duration, wake <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			start := time.Now()
			n, err := r.Step(ctx)
			if err != nil {
				if ctx.Err() == nil && r.Logger != nil && capture.ErrorCode(err) != capture.CodeConflict {
					r.Logger.Warn("report figures not updated", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
			select {
			case <-wake: // writes are arriving: yield
				rest := min(9*time.Since(start), 2*time.Second)
				select {
				case <-ctx.Done():
					return
				case <-time.After(rest):
				}
			default:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}
