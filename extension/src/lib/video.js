// VideoSession turns the events of one HTML5 <video> into the xAPI Video Profile's
// statements, coalesced: one "played" per start of playback, one "paused" per real
// pause (a pause that a seek, the end or the page's end follows is folded into them),
// one "seeked" per run of seeks, "completed" once when progress reaches the
// threshold, "initialized" before the first "played", "terminated" at the end.
// Methods return the events to record: [{verb, time, ...}]; times are seconds.

import { mergeSegments, formatSegments, progress } from './segments.js';

export class VideoSession {
  /** length: the video's duration in seconds; threshold: progress fraction that completes it. */
  constructor(length, threshold = 0.95) {
    this.length = length;
    this.threshold = threshold;
    this.segments = [];
    this.playing = false;
    this.segStart = 0;
    this.lastTime = 0;
    this.initialized = false;
    this.completed = false;
    this.terminated = false;
    this.pendingPause = null; // time of a pause not yet recorded
    this.pendingSeek = null; // {from, to} of seeks not yet recorded
  }

  setLength(length) {
    if (length > 0 && Number.isFinite(length)) this.length = length;
  }

  /** allSegments returns the merged played segments including the one playing now. */
  allSegments() {
    const segs = [...this.segments];
    if (this.playing && this.lastTime > this.segStart) segs.push([this.segStart, this.lastTime]);
    return mergeSegments(segs);
  }

  snapshot(time) {
    const segs = this.allSegments();
    return { time, progress: progress(segs, this.length), playedSegments: formatSegments(segs) };
  }

  closeSegment(t) {
    if (this.playing && t > this.segStart) this.segments.push([this.segStart, t]);
    this.segments = mergeSegments(this.segments);
  }

  // flushPending records what is held back, except what the caller folds away.
  flushPending(out, { dropPause = false } = {}) {
    if (this.pendingPause !== null && !dropPause) out.push({ verb: 'paused', ...this.snapshot(this.pendingPause) });
    this.pendingPause = null;
    if (this.pendingSeek) out.push({ verb: 'seeked', timeFrom: this.pendingSeek.from, timeTo: this.pendingSeek.to, time: this.pendingSeek.to });
    this.pendingSeek = null;
  }

  checkCompleted(out, time) {
    if (this.completed || !(this.length > 0)) return;
    const snap = this.snapshot(time);
    if (snap.progress >= this.threshold) {
      this.completed = true;
      const played = this.allSegments().reduce((n, [a, b]) => n + b - a, 0);
      out.push({ verb: 'completed', ...snap, played });
    }
  }

  play(t) {
    const out = [];
    if (this.terminated) return out;
    if (!this.initialized) {
      this.initialized = true;
      out.push({ verb: 'initialized', time: t });
    }
    this.flushPending(out);
    if (!this.playing) out.push({ verb: 'played', time: t });
    this.playing = true;
    this.segStart = t;
    this.lastTime = t;
    return out;
  }

  timeupdate(t) {
    const out = [];
    if (!this.playing || this.terminated) return out;
    if (t < this.lastTime || t - this.lastTime > 2) {
      // A jump the player did not report as a seek: close the segment there.
      this.closeSegment(this.lastTime);
      this.segStart = t;
    }
    this.lastTime = t;
    this.checkCompleted(out, t);
    return out;
  }

  pause(t) {
    if (!this.playing || this.terminated) return [];
    this.lastTime = Math.max(this.lastTime, t);
    this.closeSegment(t);
    this.playing = false;
    this.pendingPause = t;
    const out = [];
    this.checkCompleted(out, t);
    return out;
  }

  /** seeked: the playhead moved from the last known time to t. */
  seeked(t) {
    if (this.terminated) return [];
    const from = this.pendingPause ?? this.lastTime;
    this.closeSegment(this.lastTime);
    this.pendingPause = null; // a pause around a seek is part of the seek
    if (this.pendingSeek) this.pendingSeek.to = t;
    else this.pendingSeek = { from, to: t };
    this.segStart = t;
    this.lastTime = t;
    return [];
  }

  ended(t) {
    if (this.terminated) return [];
    const out = [];
    this.lastTime = Math.max(this.lastTime, t);
    this.closeSegment(t);
    this.playing = false;
    this.flushPending(out, { dropPause: true });
    this.checkCompleted(out, t);
    return out;
  }

  /** idle records what was held back once the player has been quiet for a moment. */
  idle() {
    const out = [];
    if (!this.terminated) this.flushPending(out);
    return out;
  }

  /** terminate ends the session (page hidden or left); a session never played records nothing. */
  terminate(t) {
    const out = [];
    if (this.terminated || !this.initialized) return out;
    if (this.playing) this.lastTime = Math.max(this.lastTime, t);
    this.closeSegment(this.playing ? t : this.lastTime);
    this.playing = false;
    this.flushPending(out, { dropPause: true });
    this.terminated = true;
    out.push({ verb: 'terminated', ...this.snapshot(t) });
    return out;
  }
}
