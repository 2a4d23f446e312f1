package enrich

import (
	"container/list"
	"sync"
	"time"
)

// resultCache is a bounded LRU of fetch results (pages and errors) that expire after ttl.
// It is safe for concurrent use.
type resultCache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // front: most recently used; values are *cacheEntry
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key     string
	page    Page
	err     error
	expires time.Time
}

func newResultCache(size int, ttl time.Duration, now func() time.Time) *resultCache {
	return &resultCache{size: size, ttl: ttl, now: now, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the live entry for key; an expired entry is removed and reported missing.
func (c *resultCache) get(key string) (Page, error, bool) {
	if c.size <= 0 {
		return Page{}, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return Page{}, nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, key)
		return Page{}, nil, false
	}
	c.order.MoveToFront(el)
	return e.page, e.err, true
}

// put stores a result for key, replacing any previous one and evicting the least recently
// used entry beyond size.
func (c *resultCache) put(key string, p Page, err error) {
	if c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{key: key, page: p, err: err, expires: c.now().Add(c.ttl)}
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(e)
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cacheEntry).key)
	}
}

// len returns the number of entries held, expired ones included.
func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
