import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueue, takeBatch, remove, backoffMs, classify, firstReadToday } from '../src/lib/queue.js';

const items = (...ids) => ids.map((id) => ({ id, statement: { id } }));

test('enqueue keeps the newest when full and reports drops', () => {
  let r = enqueue([], items('a', 'b'), 3);
  assert.deepEqual(r, { queue: items('a', 'b'), dropped: 0 });
  r = enqueue(r.queue, items('c', 'd', 'e'), 3);
  assert.deepEqual(r.queue.map((i) => i.id), ['c', 'd', 'e']);
  assert.equal(r.dropped, 2);
});

test('takeBatch and remove', () => {
  const q = items('a', 'b', 'c');
  assert.deepEqual(takeBatch(q, 2).map((i) => i.id), ['a', 'b']);
  assert.deepEqual(remove(q, ['a', 'c']).map((i) => i.id), ['b']);
});

test('backoffMs doubles up to the cap, with jitter', () => {
  const mid = () => 0.5;
  assert.deepEqual([1, 2, 3, 4].map((a) => backoffMs(a, { base: 1000, max: 5000 }, mid)), [1000, 2000, 4000, 5000]);
  assert.equal(backoffMs(1, { base: 1000 }, () => 0), 800);
  assert.equal(backoffMs(1, { base: 1000 }, () => 0.999), 1200);
});

test('classify', () => {
  const cases = [[200, 'sent'], [204, 'sent'], [0, 'retry'], [429, 'retry'], [503, 'retry'], [408, 'retry'], [401, 'unauthorized'], [400, 'rejected'], [403, 'rejected'], [413, 'rejected']];
  for (const [s, want] of cases) assert.equal(classify(s), want, String(s));
});

test('firstReadToday', () => {
  const d1 = new Date(2026, 10, 27, 9);
  const later = new Date(2026, 10, 27, 18);
  const next = new Date(2026, 10, 28, 8);
  let r = firstReadToday({}, 'u', d1);
  assert.equal(r.first, true);
  r = firstReadToday(r.log, 'u', later);
  assert.equal(r.first, false);
  r = firstReadToday(r.log, 'v', later);
  assert.equal(r.first, true);
  r = firstReadToday(r.log, 'u', next);
  assert.equal(r.first, true);
  assert.deepEqual(Object.keys(r.log), ['u'], 'yesterday\'s entries are dropped');
});
