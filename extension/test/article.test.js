import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isArticle, canonicalURL } from '../src/lib/article.js';

test('isArticle', () => {
  const cases = [
    [{ ogType: 'article', articleElements: 0, jsonLdTypes: [], textLength: 5000 }, true, 'og:type article'],
    [{ ogType: '', articleElements: 1, jsonLdTypes: [], textLength: 1500 }, true, '<article> element'],
    [{ ogType: '', articleElements: 0, jsonLdTypes: ['WebSite', 'NewsArticle'], textLength: 1300 }, true, 'schema.org Article'],
    [{ ogType: 'website', articleElements: 0, jsonLdTypes: [], textLength: 90000 }, false, 'no article markup'],
    [{ ogType: 'ARTICLE', articleElements: 0, jsonLdTypes: [], textLength: 100 }, false, 'only 100 characters of text (need 1200)'],
  ];
  for (const [f, want, reason] of cases) {
    const got = isArticle(f);
    assert.equal(got.article, want, JSON.stringify(f));
    assert.equal(got.reason, reason);
  }
  assert.equal(isArticle({ articleElements: 1, textLength: 300 }, 200).article, true);
});

test('canonicalURL', () => {
  const cases = [
    ['https://a.example/p?utm_source=x&id=3#frag', '', 'https://a.example/p?id=3'],
    ['https://a.example/p?x=1', '/canonical', 'https://a.example/canonical'],
    ['https://a.example/p', 'javascript:alert(1)', 'https://a.example/p'],
    ['https://a.example/p?gclid=1&fbclid=2', 'https://b.example/q#x', 'https://b.example/q'],
  ];
  for (const [loc, canon, want] of cases) assert.equal(canonicalURL(loc, canon), want);
});
