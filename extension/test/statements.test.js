import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoDuration, readStatement, learnedStatement, parseTags, videoStatement } from '../src/lib/statements.js';
import { EXT } from '../src/lib/vocab.js';

const ctx = { actor: { objectType: 'Agent', mbox: 'mailto:ada@example.com' }, uuid: () => 'a1b2c3d4-0000-4000-8000-000000000001', now: () => new Date('2026-11-27T10:00:00Z') };
const page = { url: 'https://blog.example/post', title: 'A post', description: 'About things' };

test('isoDuration', () => {
  const cases = [[0, 'PT0S'], [30, 'PT30S'], [75.456, 'PT1M15.46S'], [3600, 'PT1H'], [3723, 'PT1H2M3S'], [-4, 'PT0S']];
  for (const [s, want] of cases) assert.equal(isoDuration(s), want, String(s));
});

test('readStatement', () => {
  const st = readStatement(ctx, page, 42.5, 0.73333);
  assert.equal(st.id, 'a1b2c3d4-0000-4000-8000-000000000001');
  assert.equal(st.verb.id, 'https://w3id.org/xapi/adb/verbs/read');
  assert.deepEqual(st.object, { objectType: 'Activity', id: page.url, definition: { type: 'http://activitystrea.ms/article', name: { und: 'A post' }, description: { und: 'About things' } } });
  assert.deepEqual(st.result, { completion: true, duration: 'PT42.5S', extensions: { [EXT.scrollDepth]: 0.733 } });
  assert.equal(st.context.platform, 'Browser extension');
  assert.equal(st.timestamp, '2026-11-27T10:00:00.000Z');
});

test('learnedStatement and tags', () => {
  assert.deepEqual(parseTags(' go, #xapi  go\nlrs'), ['go', 'xapi', 'lrs']);
  const st = learnedStatement(ctx, { ...page, article: false }, '  useful trick ', ['go', 'go', ' ']);
  assert.equal(st.verb.id, 'http://adlnet.gov/expapi/verbs/experienced');
  assert.equal(st.object.definition.type, 'http://adlnet.gov/expapi/activities/link');
  assert.deepEqual(st.result, { response: 'useful trick' });
  assert.deepEqual(st.context.extensions, { [EXT.tags]: ['go'] });
  const bare = learnedStatement(ctx, page, '', []);
  assert.equal(bare.result, undefined);
  assert.equal(bare.context.extensions, undefined);
});

test('videoStatement follows the Video Profile', () => {
  const video = { url: 'https://v.example/watch', title: 'Talk', length: 120, sessionId: 'f0e1d2c3-0000-4000-8000-000000000002', threshold: 0.95 };
  const completed = videoStatement(ctx, video, { verb: 'completed', time: 114.2, progress: 0.951, playedSegments: '0[.]114.2', played: 114.2 });
  assert.equal(completed.verb.id, 'http://adlnet.gov/expapi/verbs/completed');
  assert.equal(completed.object.definition.type, 'https://w3id.org/xapi/video/activity-type/video');
  assert.deepEqual(completed.result, { completion: true, duration: 'PT1M54.2S', extensions: { [EXT.time]: 114.2, [EXT.playedSegments]: '0[.]114.2', [EXT.progress]: 0.951 } });
  assert.equal(completed.context.extensions[EXT.length], 120);
  assert.equal(completed.context.extensions[EXT.sessionId], video.sessionId);
  assert.equal(completed.context.registration, video.sessionId);
  assert.equal(completed.context.contextActivities.category[0].id, 'https://w3id.org/xapi/video');
  const seeked = videoStatement(ctx, video, { verb: 'seeked', timeFrom: 10, timeTo: 60, time: 60 });
  assert.equal(seeked.verb.id, 'https://w3id.org/xapi/video/verbs/seeked');
  assert.deepEqual(seeked.result.extensions, { [EXT.timeFrom]: 10, [EXT.timeTo]: 60 });
  const init = videoStatement(ctx, video, { verb: 'initialized', time: 0 });
  assert.equal(init.result, undefined);
  assert.equal(init.context.extensions[EXT.completionThreshold], 0.95);
});
