// Background service worker (Chromium) / event page (Firefox): owns the connection,
// the settings and the outgoing queue. Content scripts and the popup talk to it with
// runtime messages; everything it keeps lives in storage.local, so nothing is lost when
// the browser or the worker restarts.

import { enqueue, takeBatch, remove, backoffMs, classify, firstReadToday } from './lib/queue.js';
import { decide } from './lib/sites.js';
import { learnedStatement, parseTags } from './lib/statements.js';
import { CENTRAL_DEFAULTS, LOCAL_DEFAULTS, thresholds } from './lib/settings.js';
import { uuid } from './lib/uuid.js';

const api = globalThis.browser ?? globalThis.chrome;
const BATCH = 25;
const RECENT = 20;
const ALARM = 'cairn-flush';
const CONFIG_ALARM = 'cairn-config';

const EMPTY = {
  settings: LOCAL_DEFAULTS,
  central: CENTRAL_DEFAULTS,
  connection: null, // {endpoint, key, secret, agent, cairnUrl, credentialKey}
  queue: [], // [{id, statement, kind}]
  dropped: 0, // statements lost because the queue was full
  rejected: 0, // statements Cairn refused (4xx)
  recent: [], // the last statements Cairn took, newest first
  readLog: {}, // canonical URL → day it was read
  attempt: 0,
  nextAttemptAt: 0,
  lastError: '',
};

async function load() {
  const got = await api.storage.local.get(Object.keys(EMPTY));
  return { ...EMPTY, ...got, settings: { ...LOCAL_DEFAULTS, ...(got.settings || {}) } };
}

// Storage changes are serialised, so concurrent messages never overwrite each other.
let chain = Promise.resolve();
function mutate(fn) {
  const run = chain.then(async () => {
    const state = await load();
    const patch = await fn(state);
    if (patch && Object.keys(patch).length) await api.storage.local.set(patch);
    return { ...state, ...(patch || {}) };
  });
  chain = run.catch(() => {});
  return run;
}

function canCapture(state, url, incognito) {
  if (incognito) return { capture: false, reason: 'private window' };
  if (!state.connection) return { capture: false, reason: 'not connected to Cairn' };
  if (state.settings.paused) return { capture: false, reason: 'capture is paused' };
  return decide(url, {
    central: state.central.deny || [],
    allow: state.settings.allow,
    deny: state.settings.deny,
    useDefaults: state.settings.useDefaults,
  });
}

/** add queues statements and starts a send. */
async function add(items) {
  await mutate((s) => {
    const t = thresholds(s.central, s.settings.overrides);
    const r = enqueue(s.queue, items, t.maxQueue);
    return { queue: r.queue, dropped: s.dropped + r.dropped };
  });
  flush();
}

let flushing = null;
let timer = null;

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(flush, delay);
  // The alarm brings a stopped worker back; alarms fire no sooner than 30 s.
  api.alarms.create(ALARM, { when: Date.now() + Math.max(delay, 30000) });
}

/** flush sends the queue in batches until it is empty or a send fails. */
function flush() {
  if (!flushing) flushing = sendAll().finally(() => { flushing = null; });
  return flushing;
}

async function sendAll() {
  let single = false;
  for (;;) {
    const s = await load();
    if (!s.queue.length || !s.connection) return;
    const t = thresholds(s.central, s.settings.overrides);
    if (s.nextAttemptAt > Date.now()) return schedule(s.nextAttemptAt - Date.now());
    if (globalThis.navigator && navigator.onLine === false) {
      await mutate(() => ({ lastError: 'offline' }));
      return schedule(t.retryBaseMs);
    }
    const batch = takeBatch(s.queue, single ? 1 : BATCH);
    let status = 0;
    let message = '';
    try {
      const res = await fetch(s.connection.endpoint + '/statements', {
        method: 'POST',
        headers: {
          Authorization: 'Basic ' + btoa(s.connection.key + ':' + s.connection.secret),
          'X-Experience-API-Version': '1.0.3',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(batch.map((it) => it.statement)),
      });
      status = res.status;
      if (!res.ok) message = (await res.text()).slice(0, 300);
    } catch (e) {
      message = String(e && e.message ? e.message : e);
    }
    const outcome = classify(status);
    const ids = batch.map((it) => it.id);
    if (outcome === 'sent') {
      await mutate((st) => ({
        queue: remove(st.queue, ids),
        recent: [...batch.map(summary), ...st.recent].slice(0, RECENT),
        attempt: 0, nextAttemptAt: 0, lastError: '',
      }));
      continue;
    }
    if (outcome === 'rejected') {
      if (batch.length > 1) { single = true; continue; } // find the one Cairn refuses
      await mutate((st) => ({ queue: remove(st.queue, ids), rejected: st.rejected + 1, lastError: `Cairn refused a statement (${status}): ${message}` }));
      continue;
    }
    const st = await mutate((x) => {
      const attempt = x.attempt + 1;
      const wait = backoffMs(attempt, { base: t.retryBaseMs, max: Math.max(t.retryBaseMs, 15 * 60 * 1000) });
      const why = outcome === 'unauthorized' ? 'Cairn no longer accepts this connection: reconnect in the options' : `Cairn unreachable (${status || message})`;
      return { attempt, nextAttemptAt: Date.now() + wait, lastError: why };
    });
    return schedule(st.nextAttemptAt - Date.now());
  }
}

function summary(it) {
  const st = it.statement;
  const def = st.object.definition || {};
  return {
    id: st.id,
    kind: it.kind,
    verb: st.verb.display ? Object.values(st.verb.display)[0] : st.verb.id,
    name: def.name ? Object.values(def.name)[0] : st.object.id,
    url: st.object.id,
    timestamp: st.timestamp,
  };
}

async function refreshConfig() {
  const s = await load();
  const base = s.connection?.cairnUrl || s.settings.cairnUrl;
  if (!base) return;
  try {
    const res = await fetch(base.replace(/\/+$/, '') + '/api/extension/config');
    if (res.ok) {
      const central = { ...CENTRAL_DEFAULTS, ...(await res.json()) };
      await mutate(() => ({ central }));
    }
  } catch { /* keep the last known settings */ }
}

async function connect(cairnUrl, code) {
  const base = (cairnUrl || '').trim().replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) return { error: 'Enter the Cairn URL (http:// or https://).' };
  let res;
  try {
    res = await fetch(base + '/api/extension/connect', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(code ? { code: code.trim() } : {}),
      credentials: 'include',
    });
  } catch (e) {
    return { error: `Cannot reach ${base}: ${e.message || e}` };
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) return { error: body?.error?.message || `Cairn answered ${res.status}` };
  const connection = { endpoint: body.endpoint, key: body.key, secret: body.secret, agent: body.agent, cairnUrl: base };
  await mutate((s) => ({ connection, settings: { ...s.settings, cairnUrl: base }, attempt: 0, nextAttemptAt: 0, lastError: '' }));
  await refreshConfig();
  flush();
  return { ok: true, agent: body.agent };
}

async function disconnect() {
  const s = await load();
  if (s.connection) {
    try {
      await fetch(`${s.connection.cairnUrl}/api/extension/credentials/${encodeURIComponent(s.connection.key)}`, {
        method: 'DELETE', headers: { Authorization: 'Basic ' + btoa(s.connection.key + ':' + s.connection.secret) },
      });
    } catch { /* revoked on the next visit to the profile instead */ }
  }
  await mutate(() => ({ connection: null }));
  return { ok: true };
}

async function status() {
  const s = await load();
  return {
    connected: !!s.connection,
    agent: s.connection?.agent || null,
    cairnUrl: s.connection?.cairnUrl || s.settings.cairnUrl,
    settings: s.settings,
    central: s.central,
    thresholds: thresholds(s.central, s.settings.overrides),
    queue: s.queue.map((it) => it.statement),
    dropped: s.dropped,
    rejected: s.rejected,
    recent: s.recent,
    lastError: s.lastError,
    nextAttemptAt: s.nextAttemptAt,
  };
}

async function handle(msg, sender) {
  const tab = sender.tab;
  switch (msg.type) {
    case 'check': {
      const s = await load();
      const d = canCapture(s, msg.url, tab?.incognito);
      return { ...d, actor: d.capture ? s.connection.agent : null, thresholds: thresholds(s.central, s.settings.overrides) };
    }
    case 'record': {
      // From a content script: checked again here, the rules may have changed.
      const s = await load();
      if (!tab || !canCapture(s, tab.url || msg.url, tab.incognito).capture) return { recorded: false };
      if (msg.kind === 'read') {
        let first = false;
        await mutate((st) => {
          const x = firstReadToday(st.readLog, msg.statement.object.id, new Date());
          first = x.first;
          return { readLog: x.log };
        });
        if (!first) return { recorded: false, reason: 'already read today' };
      }
      await add([{ id: msg.statement.id, statement: msg.statement, kind: msg.kind }]);
      return { recorded: true };
    }
    case 'learned': {
      const s = await load();
      const d = canCapture(s, msg.page.url, msg.incognito);
      if (!s.connection) return { error: 'Connect to Cairn first (options).' };
      if (msg.incognito) return { error: 'Nothing is recorded in private windows.' };
      if (!/^https?:/.test(msg.page.url)) return { error: 'Only web pages can be recorded.' };
      const ctx = { actor: s.connection.agent, uuid, now: () => new Date() };
      const st = learnedStatement(ctx, msg.page, msg.note, parseTags(msg.tags));
      await add([{ id: st.id, statement: st, kind: 'learned' }]);
      return { ok: true, note: d.capture ? '' : `recorded although ${d.reason}: you asked for it` };
    }
    case 'status': return status();
    case 'connect': return connect(msg.cairnUrl, msg.code);
    case 'disconnect': return disconnect();
    case 'save-settings':
      await mutate((s) => ({ settings: { ...s.settings, ...msg.settings } }));
      if (msg.settings.paused === false) flush();
      return status();
    case 'flush':
      await mutate(() => ({ nextAttemptAt: 0 }));
      await flush();
      return status();
    case 'refresh-config':
      await refreshConfig();
      return status();
  }
  return { error: `unknown message ${msg.type}` };
}

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  handle(msg, sender).then(sendResponse, (e) => sendResponse({ error: String(e) }));
  return true; // answered asynchronously
});

api.alarms.onAlarm.addListener((a) => {
  if (a.name === ALARM) flush();
  if (a.name === CONFIG_ALARM) refreshConfig();
});
api.runtime.onStartup?.addListener(() => { refreshConfig(); flush(); });
api.runtime.onInstalled?.addListener(() => {
  api.alarms.create(CONFIG_ALARM, { periodInMinutes: 60 });
  refreshConfig();
});
globalThis.addEventListener?.('online', () => {
  mutate(() => ({ nextAttemptAt: 0 })).then(flush);
});
flush();
