// Statement builders (xAPI 1.0.3 Data 2.4). Every statement carries an id made here,
// so that a batch sent again after a lost answer is stored once (Communication 2.1.1).

import { PLATFORM, VERB, TYPE, EXT, VIDEO_PROFILE } from './vocab.js';

/** isoDuration writes seconds as an ISO 8601 duration (PT1H2M3.5S), at most 2 decimals. */
export function isoDuration(seconds) {
  let s = Math.max(0, Math.round(seconds * 100) / 100);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s = Math.round((s - m * 60) * 100) / 100;
  return `PT${h ? h + 'H' : ''}${m ? m + 'M' : ''}${s || (!h && !m) ? s + 'S' : ''}`;
}

const round3 = (x) => Math.round(x * 1000) / 1000;

function activity(page, type) {
  const def = { type };
  if (page.title) def.name = { und: page.title.slice(0, 500) };
  if (page.description) def.description = { und: page.description.slice(0, 1000) };
  return { objectType: 'Activity', id: page.url, definition: def };
}

function base(ctx, verb, object) {
  return {
    id: ctx.uuid(),
    actor: ctx.actor,
    verb,
    object,
    timestamp: ctx.now().toISOString(),
    context: { platform: PLATFORM },
  };
}

/**
 * readStatement: the reader read the article page ({url, title, description}) for
 * activeSeconds, scrolling to scrollDepth (0..1). ctx: {actor, uuid(), now()}.
 */
export function readStatement(ctx, page, activeSeconds, scrollDepth) {
  const st = base(ctx, VERB.read, activity(page, TYPE.article));
  st.result = {
    completion: true,
    duration: isoDuration(activeSeconds),
    extensions: { [EXT.scrollDepth]: round3(Math.min(1, Math.max(0, scrollDepth))) },
  };
  return st;
}

/** learnedStatement: "I learned this" on a page, with an optional note and tags. */
export function learnedStatement(ctx, page, note, tags) {
  const st = base(ctx, VERB.experienced, activity(page, page.article ? TYPE.article : TYPE.link));
  const text = (note || '').trim();
  if (text) st.result = { response: text.slice(0, 2000) };
  const clean = [...new Set((tags || []).map((t) => t.trim()).filter(Boolean))];
  if (clean.length) st.context.extensions = { [EXT.tags]: clean };
  return st;
}

/** parseTags splits "a, b #c" into ["a", "b", "c"]. */
export function parseTags(s) {
  return [...new Set((s || '').split(/[,\s]+/).map((t) => t.replace(/^#/, '').trim()).filter(Boolean))];
}

/**
 * videoStatement turns one VideoSession event into a Video Profile statement. video:
 * {url, title, length, sessionId, threshold}.
 */
export function videoStatement(ctx, video, ev) {
  const st = base(ctx, VERB[ev.verb], activity(video, TYPE.video));
  const r = { [EXT.time]: round3(ev.time) };
  if (ev.verb === 'seeked') {
    delete r[EXT.time];
    r[EXT.timeFrom] = round3(ev.timeFrom);
    r[EXT.timeTo] = round3(ev.timeTo);
  }
  if (ev.playedSegments !== undefined && ['paused', 'completed', 'terminated'].includes(ev.verb)) {
    r[EXT.playedSegments] = ev.playedSegments;
    r[EXT.progress] = ev.progress;
  }
  if (ev.verb !== 'initialized') st.result = { extensions: r };
  if (ev.verb === 'completed') {
    st.result.completion = true;
    st.result.duration = isoDuration(ev.played || 0);
  }
  const ctxExt = { [EXT.sessionId]: video.sessionId };
  if (video.length > 0) ctxExt[EXT.length] = round3(video.length);
  if (ev.verb === 'initialized' || ev.verb === 'completed') ctxExt[EXT.completionThreshold] = video.threshold;
  st.context.extensions = ctxExt;
  st.context.contextActivities = { category: [{ objectType: 'Activity', id: VIDEO_PROFILE, definition: { type: 'http://adlnet.gov/expapi/activities/profile' } }] };
  st.context.registration = video.sessionId;
  return st;
}
