// Popup: "I learned this" for the current tab, the pause switch, recent records.
const api = globalThis.browser ?? globalThis.chrome;
const $ = (id) => document.getElementById(id);
const ask = (msg) => api.runtime.sendMessage(msg);

async function currentPage() {
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  if (!tab) return { page: null };
  let page = { url: tab.url || '', title: tab.title || '', description: '', article: false };
  try {
    const info = await api.tabs.sendMessage(tab.id, { type: 'page-info' });
    if (info && info.url) page = info;
  } catch { /* no content script on this page */ }
  return { page, incognito: tab.incognito };
}

function render(st) {
  $('who').textContent = st.connected ? `as ${st.agent?.name || st.agent?.mbox || ''}` : '(not connected)';
  $('paused').checked = !!st.settings.paused;
  const notes = [];
  if (!st.connected) notes.push('Not connected: open the options to connect to Cairn. Nothing is recorded until then.');
  if (st.dropped) notes.push(`${st.dropped} statements were dropped because the queue was full.`);
  if (st.lastError) notes.push(st.lastError);
  $('notice').hidden = !notes.length;
  $('notice').textContent = notes.join(' ');
  $('queue').textContent = st.queue.length ? `${st.queue.length} waiting to be sent` : 'all sent';
  const ul = $('recent');
  ul.replaceChildren(...st.recent.slice(0, 8).map((r) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = r.url;
    a.target = '_blank';
    a.textContent = r.name;
    li.append(`${r.verb}: `, a);
    return li;
  }));
  if (!st.recent.length) ul.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'Nothing yet.', className: 'muted' }));
}

async function main() {
  const st = await ask({ type: 'status' });
  render(st);
  const { page, incognito } = await currentPage();
  $('page').textContent = page ? page.title || page.url : 'No page';
  $('record').disabled = !st.connected || !page || incognito;
  if (incognito) $('page').textContent = 'Nothing is recorded in private windows.';
  $('paused').addEventListener('change', async (e) => render(await ask({ type: 'save-settings', settings: { paused: e.target.checked } })));
  $('learned').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await ask({ type: 'learned', page, incognito, note: $('note').value, tags: $('tags').value });
    $('result').textContent = r.error ? r.error : `Recorded. ${r.note || ''}`;
    if (!r.error) { $('note').value = ''; $('tags').value = ''; }
    render(await ask({ type: 'status' }));
  });
}
main();
