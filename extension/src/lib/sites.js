// Site rules: which pages the extension may capture. Patterns are "host",
// "*.domain" (the domain and its subdomains) or either followed by "/path-prefix";
// a leading scheme is ignored; a host with ":port" matches that port only.

/** DEFAULT_DENY: search results, mail, banking and payment sites, chat. */
export const DEFAULT_DENY = [
  'google.*/search', 'www.google.com/search', 'bing.com/search', 'www.bing.com/search', 'duckduckgo.com', 'search.yahoo.com', 'yandex.*/search', 'www.baidu.com/s',
  'mail.google.com', 'outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.yahoo.com', 'mail.proton.me', '*.mail.*', 'webmail.*',
  '*.bank', '*bank.*', '*banking.*', 'paypal.com', '*.paypal.com', 'wise.com', 'revolut.com', '*.stripe.com',
  'accounts.google.com', 'login.*', 'signin.*', 'auth.*',
];

/** matches reports whether url (a URL string) falls under pattern. */
export function matches(pattern, url) {
  let u;
  try { u = new URL(url); } catch { return false; }
  let p = pattern.trim().toLowerCase().replace(/^[a-z]+:\/\//, '');
  if (!p) return false;
  const slash = p.indexOf('/');
  const hostPat = slash < 0 ? p : p.slice(0, slash);
  const pathPrefix = slash < 0 ? '' : p.slice(slash);
  const host = hostPat.includes(':') ? u.host.toLowerCase() : u.hostname.toLowerCase();
  if (!hostMatches(hostPat, host)) return false;
  return !pathPrefix || u.pathname.toLowerCase().startsWith(pathPrefix);
}

function hostMatches(pat, host) {
  if (pat.startsWith('*.')) {
    const rest = pat.slice(2);
    if (!rest.includes('*')) return host === rest || host.endsWith('.' + rest);
  }
  if (!pat.includes('*')) return host === pat;
  // "*" stands for any run of characters within the host.
  const re = new RegExp('^' + pat.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(host) || (pat.startsWith('*.') && re.test('.' + host));
}

/**
 * decide says whether url may be captured: {capture, reason}. Order: only http(s);
 * the admin's central deny patterns always win; then the reader's allow list; then
 * the reader's deny list and the defaults.
 */
export function decide(url, { central = [], allow = [], deny = [], useDefaults = true } = {}) {
  if (!/^https?:/i.test(url)) return { capture: false, reason: 'not a web page' };
  const hit = (list) => list.find((p) => matches(p, url));
  let p;
  if ((p = hit(central))) return { capture: false, reason: `denied by your organisation (${p})` };
  if ((p = hit(allow))) return { capture: true, reason: `allowed by you (${p})` };
  if ((p = hit(deny))) return { capture: false, reason: `denied by you (${p})` };
  if (useDefaults && (p = hit(DEFAULT_DENY))) return { capture: false, reason: `denied by default (${p})` };
  return { capture: true, reason: 'no rule applies' };
}

/** parseList splits a textarea into patterns, one a line or comma-separated. */
export function parseList(s) {
  return (s || '').split(/[\n,]/).map((x) => x.trim()).filter((x) => x && !x.startsWith('#'));
}
