import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VideoSession } from '../src/lib/video.js';

const verbs = (evs) => evs.map((e) => e.verb);

test('watch to the end: initialized, played, completed at the threshold, no paused for the end', () => {
  const s = new VideoSession(10, 0.9);
  const out = [...s.play(0)];
  for (let t = 0.25; t <= 9; t += 0.25) out.push(...s.timeupdate(t));
  out.push(...s.timeupdate(9.5), ...s.pause(10), ...s.ended(10), ...s.idle(), ...s.terminate(10));
  assert.deepEqual(verbs(out), ['initialized', 'played', 'completed', 'terminated']);
  const completed = out.find((e) => e.verb === 'completed');
  assert.ok(completed.progress >= 0.9, `completed at ${completed.progress}`);
  const end = out.at(-1);
  assert.equal(end.progress, 1);
  assert.equal(end.playedSegments, '0[.]10');
});

test('pause and resume are recorded once each; timeupdates add no statements', () => {
  const s = new VideoSession(100);
  const out = [...s.play(0)];
  for (let t = 1; t <= 20; t++) out.push(...s.timeupdate(t));
  out.push(...s.pause(20));
  assert.deepEqual(verbs(out), ['initialized', 'played'], 'the pause is held back');
  out.push(...s.idle());
  out.push(...s.play(20));
  assert.deepEqual(verbs(out), ['initialized', 'played', 'paused', 'played']);
  const paused = out[2];
  assert.equal(paused.time, 20);
  assert.equal(paused.progress, 0.2);
  assert.equal(paused.playedSegments, '0[.]20');
});

test('a run of seeks is one seeked; the pause around it is folded in', () => {
  const s = new VideoSession(100);
  const out = [...s.play(0)];
  for (let t = 1; t <= 10; t++) out.push(...s.timeupdate(t));
  out.push(...s.pause(10), ...s.seeked(30), ...s.seeked(50), ...s.seeked(60), ...s.play(60));
  for (let t = 61; t <= 70; t++) out.push(...s.timeupdate(t));
  out.push(...s.terminate(70));
  assert.deepEqual(verbs(out), ['initialized', 'played', 'seeked', 'played', 'terminated']);
  const seek = out[2];
  assert.deepEqual([seek.timeFrom, seek.timeTo], [10, 60]);
  assert.equal(out.at(-1).playedSegments, '0[.]10[,]60[.]70');
  assert.equal(out.at(-1).progress, 0.2);
});

test('a session never played records nothing; terminate is final', () => {
  const s = new VideoSession(10);
  assert.deepEqual(s.terminate(0), []);
  const t = new VideoSession(10);
  t.play(0);
  t.timeupdate(1);
  assert.deepEqual(verbs(t.terminate(1)), ['terminated']);
  assert.deepEqual(t.terminate(2), []);
  assert.deepEqual(t.play(2), []);
});

test('an unreported jump splits the segment', () => {
  const s = new VideoSession(100);
  s.play(0);
  for (let t = 1; t <= 5; t++) s.timeupdate(t);
  s.timeupdate(40);
  s.timeupdate(41);
  assert.equal(s.terminate(41).at(-1).playedSegments, '0[.]5[,]40[.]41');
});
