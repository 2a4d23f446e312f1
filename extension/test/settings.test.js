import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thresholds } from '../src/lib/settings.js';
import { uuid } from '../src/lib/uuid.js';

test('thresholds: overrides over central over defaults', () => {
  assert.deepEqual(thresholds(undefined, undefined), { readSeconds: 30, scrollDepth: 0.6, videoCompletion: 0.95, retryBaseMs: 5000, maxQueue: 1000 });
  assert.deepEqual(thresholds({ readSeconds: 45, scrollDepth: 0.5 }, { readSeconds: '2', scrollDepth: '', retryBaseMs: '500', maxQueue: 3 }),
    { readSeconds: 2, scrollDepth: 0.5, videoCompletion: 0.95, retryBaseMs: 500, maxQueue: 3 });
});

test('uuid is a version 4 UUID', () => {
  const seen = new Set();
  for (let i = 0; i < 50; i++) {
    const u = uuid();
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    seen.add(u);
  }
  assert.equal(seen.size, 50);
});
