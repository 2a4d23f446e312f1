// Article detection: a page is an article when it carries article markup (<article>,
// og:type article, or schema.org Article in JSON-LD) and has enough text.

export const DEFAULT_MIN_CHARS = 1200;

const ARTICLE_TYPES = new Set(['article', 'newsarticle', 'blogposting', 'techarticle', 'scholarlyarticle', 'report']);

/** isArticleType reports whether a schema.org @type (string or array) names an article. */
export function isArticleType(type) {
  const list = Array.isArray(type) ? type : [type];
  return list.some((t) => typeof t === 'string' && ARTICLE_TYPES.has(t.toLowerCase()));
}

/**
 * isArticle decides from page features: {ogType, articleElements, jsonLdTypes[],
 * textLength}. Returns {article: boolean, reason: string}.
 */
export function isArticle(f, minChars = DEFAULT_MIN_CHARS) {
  const markup = (f.ogType || '').toLowerCase() === 'article' ? 'og:type article'
    : f.articleElements > 0 ? '<article> element'
    : (f.jsonLdTypes || []).some(isArticleType) ? 'schema.org Article'
    : '';
  if (!markup) return { article: false, reason: 'no article markup' };
  if ((f.textLength || 0) < minChars) return { article: false, reason: `only ${f.textLength || 0} characters of text (need ${minChars})` };
  return { article: true, reason: markup };
}

/** pageFeatures reads the features isArticle needs from a DOM document. */
export function pageFeatures(doc) {
  const meta = (sel) => doc.querySelector(sel)?.getAttribute('content') || '';
  const types = [];
  for (const s of doc.querySelectorAll('script[type="application/ld+json"]')) {
    try {
      const v = JSON.parse(s.textContent);
      for (const item of Array.isArray(v) ? v : [v, ...(v['@graph'] || [])]) {
        if (item && item['@type']) types.push(...[].concat(item['@type']));
      }
    } catch { /* not JSON: ignored */ }
  }
  const root = doc.querySelector('article') || doc.querySelector('main') || doc.body;
  let text = 0;
  for (const p of root ? root.querySelectorAll('p, li, blockquote, pre') : []) text += p.textContent.trim().length;
  return {
    ogType: meta('meta[property="og:type"]'),
    articleElements: doc.querySelectorAll('article').length,
    jsonLdTypes: types,
    textLength: text,
  };
}

/** canonicalURL returns the page's canonical URL: rel=canonical when it is http(s), else the location without fragment and tracking parameters. */
export function canonicalURL(location, canonicalHref) {
  let u;
  try {
    u = new URL(canonicalHref || location, location);
    if (!/^https?:$/.test(u.protocol)) u = new URL(location);
  } catch {
    u = new URL(location);
  }
  u.hash = '';
  // forEach, not the keys() iterator: in a Firefox content script URLSearchParams is
  // the page's, seen through an Xray wrapper, and its iterators are not iterable there.
  const tracking = [];
  u.searchParams.forEach((_, k) => { if (/^(utm_|fbclid$|gclid$|mc_)/.test(k)) tracking.push(k); });
  for (const k of tracking) u.searchParams.delete(k);
  return u.toString();
}
