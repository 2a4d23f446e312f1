// Options: connection, privacy rules, thresholds, and a live preview of what is sent.
import { DEFAULT_DENY, parseList, decide } from './lib/sites.js';
import { readStatement } from './lib/statements.js';

const api = globalThis.browser ?? globalThis.chrome;
const $ = (id) => document.getElementById(id);
const ask = (msg) => api.runtime.sendMessage(msg);
const OVERRIDES = ['readSeconds', 'scrollDepth', 'videoCompletion', 'retryBaseMs'];

function form() {
  const overrides = {};
  for (const k of OVERRIDES) if ($(k).value !== '') overrides[k] = Number($(k).value);
  return { paused: $('paused').checked, allow: parseList($('allow').value), deny: parseList($('deny').value), useDefaults: $('useDefaults').checked, overrides };
}

function preview(st) {
  const f = form();
  const t = { ...st.thresholds, ...f.overrides };
  const sample = { url: 'https://blog.example.com/posts/spaced-repetition', title: 'Spaced repetition, explained', description: 'Why reviewing at growing intervals works.' };
  const actor = st.agent || { objectType: 'Agent', name: 'You', mbox: 'mailto:you@example.com' };
  const stmt = readStatement({ actor, uuid: () => '(a new id for each statement)', now: () => new Date() }, sample, t.readSeconds, Math.max(t.scrollDepth, 0.75));
  const d = decide(sample.url, { central: st.central.deny, allow: f.allow, deny: f.deny, useDefaults: f.useDefaults });
  $('preview').textContent = (f.paused ? '(capture is paused: nothing is sent now)\n' : d.capture ? '' : `(this sample site would not be captured: ${d.reason})\n`) + JSON.stringify(stmt, null, 2);
}

function render(st) {
  $('connection').textContent = st.connected
    ? `Connected to ${st.cairnUrl} as ${st.agent?.name || ''} <${(st.agent?.mbox || '').replace('mailto:', '')}>.`
    : 'Not connected: nothing is recorded until you connect.';
  $('cairnUrl').value = st.cairnUrl || '';
  $('disconnect').hidden = !st.connected;
  $('paused').checked = !!st.settings.paused;
  $('allow').value = st.settings.allow.join('\n');
  $('deny').value = st.settings.deny.join('\n');
  $('useDefaults').checked = st.settings.useDefaults !== false;
  $('defaults').textContent = DEFAULT_DENY.join('\n');
  $('central').textContent = (st.central.deny || []).join(', ') || '(none)';
  for (const k of OVERRIDES) {
    const o = st.settings.overrides || {};
    $(k).value = o[k] ?? '';
    $(k).placeholder = st.thresholds[k];
  }
  $('queueCount').textContent = st.queue.length;
  $('queue').textContent = st.queue.length ? JSON.stringify(st.queue, null, 2) : '(nothing)';
  if (st.dropped) $('queue').textContent = `${st.dropped} statements were dropped because the queue was full.\n` + $('queue').textContent;
  preview(st);
}

let state;
async function refresh() {
  state = await ask({ type: 'status' });
  render(state);
}

$('connect').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('connectResult').textContent = 'Connecting…';
  const r = await ask({ type: 'connect', cairnUrl: $('cairnUrl').value, code: $('code').value });
  $('connectResult').textContent = r.error ? r.error : 'Connected.';
  if (!r.error) $('code').value = '';
  await refresh();
});
$('disconnect').addEventListener('click', async () => { await ask({ type: 'disconnect' }); await refresh(); });
$('save').addEventListener('click', async () => {
  state = await ask({ type: 'save-settings', settings: form() });
  render(state);
  $('saved').textContent = 'Saved.';
});
$('flush').addEventListener('click', async () => render(await ask({ type: 'flush' })));
for (const id of ['allow', 'deny', 'useDefaults', 'paused', ...OVERRIDES]) $(id).addEventListener('input', () => state && preview(state));
api.storage.onChanged.addListener(() => refresh());
refresh();
