// Page tracking: reading (active time and scroll depth on article pages) and HTML5
// videos (xAPI Video Profile). Statements are built here and handed to the background
// script, which checks the rules again, queues and sends them.

import { pageFeatures, isArticle, canonicalURL } from './lib/article.js';
import { readStatement, videoStatement } from './lib/statements.js';
import { VideoSession } from './lib/video.js';
import { uuid } from './lib/uuid.js';

const api = globalThis.browser ?? globalThis.chrome;

function pageInfo() {
  const meta = (sel) => document.querySelector(sel)?.getAttribute('content') || '';
  const canonical = document.querySelector('link[rel="canonical"]')?.getAttribute('href') || '';
  return {
    url: canonicalURL(location.href, canonical),
    title: (meta('meta[property="og:title"]') || document.title || '').trim(),
    description: (meta('meta[property="og:description"]') || meta('meta[name="description"]')).trim(),
    article: isArticle(pageFeatures(document)).article,
  };
}

function send(kind, statement) {
  return api.runtime.sendMessage({ type: 'record', kind, statement, url: location.href }).catch(() => {});
}

/** start asks the background whether this page may be captured and starts tracking. */
export async function start() {
  api.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
    if (msg.type === 'page-info') sendResponse(pageInfo());
  });
  const check = await api.runtime.sendMessage({ type: 'check', url: location.href });
  if (!check || !check.capture) return;
  const ctx = { actor: check.actor, uuid, now: () => new Date() };
  trackReading(ctx, check.thresholds);
  trackVideos(ctx, check.thresholds);
}

function scrollDepth() {
  const el = document.scrollingElement || document.documentElement;
  const total = el.scrollHeight;
  if (!total) return 1;
  return Math.min(1, (window.scrollY + window.innerHeight) / total);
}

function trackReading(ctx, t) {
  let active = 0;
  let depth = scrollDepth();
  let last = performance.now();
  let done = false;
  let checked = 0;
  let article = isArticle(pageFeatures(document)).article;
  const onScroll = () => { depth = Math.max(depth, scrollDepth()); };
  addEventListener('scroll', onScroll, { passive: true });
  const timer = setInterval(() => {
    const now = performance.now();
    const dt = Math.min(5, (now - last) / 1000); // a suspended tab does not count
    last = now;
    if (!article) {
      // Pages that build their text late get a second look after a few seconds.
      if (++checked === 5) article = isArticle(pageFeatures(document)).article;
      if (checked > 5 && !article) clearInterval(timer);
      return;
    }
    if (document.visibilityState === 'visible' && document.hasFocus()) active += dt;
    onScroll();
    if (!done && active >= t.readSeconds && depth >= t.scrollDepth) {
      done = true;
      clearInterval(timer);
      removeEventListener('scroll', onScroll);
      send('read', readStatement(ctx, pageInfo(), active, depth));
    }
  }, 1000);
}

function trackVideos(ctx, t) {
  const tracked = new WeakSet();
  let index = 0;
  const attach = (v) => {
    if (tracked.has(v)) return;
    tracked.add(v);
    const n = index++;
    const session = new VideoSession(v.duration, t.videoCompletion);
    let video = null;
    const describe = () => {
      // The page is the activity (players such as YouTube's play blob: URLs); further
      // videos on one page are told apart by a fragment.
      const info = pageInfo();
      const url = info.url + (n ? `#video-${n}` : '');
      video = { url, title: v.title || v.getAttribute('aria-label') || info.title, length: v.duration, sessionId: uuid(), threshold: t.videoCompletion };
      return video;
    };
    let idle = null;
    const emit = (events) => {
      for (const ev of events) {
        if (!video) describe();
        video.length = session.length;
        send('video', videoStatement(ctx, video, ev));
      }
    };
    const later = () => {
      clearTimeout(idle);
      idle = setTimeout(() => emit(session.idle()), 1000);
    };
    const on = (name, fn) => v.addEventListener(name, () => { session.setLength(v.duration); fn(v.currentTime); });
    on('play', (x) => emit(session.play(x)));
    on('timeupdate', (x) => emit(session.timeupdate(x)));
    on('pause', (x) => { emit(session.pause(x)); later(); });
    on('seeked', (x) => { emit(session.seeked(x)); later(); });
    on('ended', (x) => emit(session.ended(x)));
    addEventListener('pagehide', () => emit(session.terminate(v.currentTime)));
    // A video that started before tracking (autoplay) counts from where it is now.
    if (!v.paused && !v.ended) {
      session.setLength(v.duration);
      emit(session.play(v.currentTime));
    }
  };
  document.querySelectorAll('video').forEach(attach);
  new MutationObserver(() => document.querySelectorAll('video').forEach(attach))
    .observe(document.documentElement, { childList: true, subtree: true });
}
