import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, decide, parseList } from '../src/lib/sites.js';

test('matches', () => {
  const cases = [
    ['example.com', 'https://example.com/a', true],
    ['example.com', 'https://www.example.com/a', false],
    ['*.example.com', 'https://www.example.com/a', true],
    ['*.example.com', 'https://example.com/a', true],
    ['*.example.com', 'https://badexample.com/', false],
    ['google.*/search', 'https://google.de/search?q=x', true],
    ['google.*/search', 'https://google.de/maps', false],
    ['https://docs.example/private', 'http://docs.example/private/x', true],
    ['*bank.*', 'https://www.mybank.co.uk/login', true],
    ['mail.google.com', 'not a url', false],
    ['127.0.0.1:8080/denied', 'http://127.0.0.1:8080/denied/x', true],
    ['127.0.0.1:8080/denied', 'http://127.0.0.1:9090/denied/x', false],
    ['127.0.0.1/denied', 'http://127.0.0.1:9090/denied/x', true],
  ];
  for (const [p, url, want] of cases) assert.equal(matches(p, url), want, `${p} ${url}`);
});

test('decide: central deny > own allow > own deny > defaults', () => {
  const rules = { central: ['*.intranet.example'], allow: ['www.google.com/search', 'wiki.intranet.example'], deny: ['news.example'] };
  const cases = [
    ['https://wiki.intranet.example/page', false, 'denied by your organisation (*.intranet.example)'],
    ['https://www.google.com/search?q=xapi', true, 'allowed by you (www.google.com/search)'],
    ['https://news.example/story', false, 'denied by you (news.example)'],
    ['https://mail.google.com/mail/u/0', false, 'denied by default (mail.google.com)'],
    ['https://www.bing.com/search?q=1', false, 'denied by default (www.bing.com/search)'],
    ['https://blog.example/post', true, 'no rule applies'],
    ['file:///etc/passwd', false, 'not a web page'],
  ];
  for (const [url, capture, reason] of cases) {
    const got = decide(url, rules);
    assert.equal(got.capture, capture, url);
    assert.equal(got.reason, reason, url);
  }
  assert.equal(decide('https://mail.google.com/', { useDefaults: false }).capture, true);
});

test('parseList', () => {
  assert.deepEqual(parseList('a.example\n# comment\n b.example, c.example\n\n'), ['a.example', 'b.example', 'c.example']);
});
