package sqlitestore

import (
	"bytes"
	"sync"

	"github.com/cairn-lrs/cairn/capture"
)

// maxCachedDefinitionBytes bounds the activity definitions held in memory; the cache
// is emptied when it grows beyond.
const maxCachedDefinitionBytes = 8 << 20

// activityCache holds committed canonical activity definitions by id, so that the
// lookups every statement write makes (is this definition new?) seldom reach the
// database. Only this store writes the activities table, and it updates the cache
// after each commit, before the write returns; a database read fills the cache only
// when no activity write happened while it ran, so the cache never holds a value older
// than the database. Its methods are safe for concurrent use.
type activityCache struct {
	mu    sync.Mutex
	defs  map[string][]byte // id → definition; nil: stored without one
	bytes int
	gen   uint64 // counts writes; see fill
}

func newActivityCache() *activityCache {
	return &activityCache{defs: map[string][]byte{}}
}

// lookup returns the cached records among ids, the ids it does not hold (each once),
// and the write generation to pass to fill.
func (c *activityCache) lookup(ids []string) (map[string]capture.ActivityRecord, []string, uint64) {
	out := make(map[string]capture.ActivityRecord, len(ids))
	var missing []string
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		def, ok := c.defs[id]
		if !ok {
			out[id] = capture.ActivityRecord{} // marks the id as seen; removed below
			missing = append(missing, id)
			continue
		}
		out[id] = capture.ActivityRecord{ID: id, Definition: bytes.Clone(def)}
	}
	for _, id := range missing {
		delete(out, id)
	}
	return out, missing, c.gen
}

// fill caches records read from the database, unless an activity write happened since
// lookup returned gen (the read may predate it).
func (c *activityCache) fill(gen uint64, recs map[string]capture.ActivityRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	for _, r := range recs {
		c.put(r)
	}
}

// written records committed upserts; the caller holds the store's write lock.
func (c *activityCache) written(recs []capture.ActivityRecord) {
	if len(recs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, r := range recs {
		c.put(r)
	}
}

// put stores r, emptying the cache first when it would outgrow its bound. The caller
// holds mu.
func (c *activityCache) put(r capture.ActivityRecord) {
	var def []byte
	if len(r.Definition) > 0 {
		def = bytes.Clone(r.Definition)
	}
	if old, ok := c.defs[r.ID]; ok {
		c.bytes -= len(r.ID) + len(old)
	}
	if c.bytes+len(r.ID)+len(def) > maxCachedDefinitionBytes {
		clear(c.defs)
		c.bytes = 0
	}
	c.defs[r.ID] = def
	c.bytes += len(r.ID) + len(def)
}
