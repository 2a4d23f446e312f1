// The outgoing queue: statements wait in extension storage until Cairn has them. Pure
// functions over plain data, so the background script can store the result as is.

export const DEFAULT_MAX = 1000;

/**
 * enqueue appends items ({id, statement}) to queue, keeping at most max; the oldest go
 * first when it is full. Returns {queue, dropped} (dropped: how many items were lost).
 */
export function enqueue(queue, items, max = DEFAULT_MAX) {
  const all = [...queue, ...items];
  const dropped = Math.max(0, all.length - max);
  return { queue: all.slice(dropped), dropped };
}

/** takeBatch returns the first n items. */
export function takeBatch(queue, n) {
  return queue.slice(0, n);
}

/** remove returns queue without the items whose ids are in sent. */
export function remove(queue, sentIds) {
  const s = new Set(sentIds);
  return queue.filter((it) => !s.has(it.id));
}

/**
 * backoffMs: the wait before retry number attempt (1, 2, …): base·2^(attempt-1),
 * capped at max, with ±20% jitter from rand() in [0, 1).
 */
export function backoffMs(attempt, { base = 5000, max = 15 * 60 * 1000 } = {}, rand = Math.random) {
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * rand()));
}

/**
 * classify tells what to do after a send: 'sent' (2xx), 'retry' (network failure, 408,
 * 429, 5xx), 'unauthorized' (401: the credential is gone; keep the queue), 'rejected'
 * (other 4xx: Cairn will never take these statements).
 */
export function classify(status) {
  if (status >= 200 && status < 300) return 'sent';
  if (!status || status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 401) return 'unauthorized';
  return 'rejected';
}

/** dayKey returns the local calendar day of date as YYYY-MM-DD. */
export function dayKey(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
}

/**
 * firstReadToday records that url was read on date's day in log ({key: day}) and
 * reports whether it is the first time that day; entries of other days are dropped.
 */
export function firstReadToday(log, url, date) {
  const day = dayKey(date);
  const next = {};
  for (const [k, d] of Object.entries(log || {})) if (d === day) next[k] = d;
  const first = next[url] !== day;
  next[url] = day;
  return { log: next, first };
}
