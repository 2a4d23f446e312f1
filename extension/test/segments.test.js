import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSegments, formatSegments, progress } from '../src/lib/segments.js';

test('mergeSegments', () => {
  const cases = [
    [[], []],
    [[[5, 10], [0, 3]], [[0, 3], [5, 10]]],
    [[[0, 5], [4, 8], [8, 9]], [[0, 9]]],
    [[[2, 2], [3, 1], [0, NaN]], []],
    [[[0, 10], [2, 3]], [[0, 10]]],
  ];
  for (const [input, want] of cases) assert.deepEqual(mergeSegments(input), want);
});

test('formatSegments and progress', () => {
  assert.equal(formatSegments([[0, 1.23456], [5, 10]]), '0[.]1.235[,]5[.]10');
  assert.equal(progress([[0, 5], [3, 8]], 10), 0.8);
  assert.equal(progress([[0, 50]], 10), 1);
  assert.equal(progress([[0, 5]], 0), 0);
});
