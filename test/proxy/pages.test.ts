import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, renderBlockPage, renderErrorPage, renderWarnPage, type BlockPageInput } from '../../src/proxy/index.ts';

const hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>';

function input(overrides: Partial<BlockPageInput> = {}): BlockPageInput {
  return {
    url: 'http://blocked.example/page',
    host: 'blocked.example',
    reason: 'Social networking sites are blocked for pupils.',
    clauses: ['8.1'],
    categories: ['social-networking'],
    at: Date.UTC(2026, 10, 25, 10, 30, 0),
    reference: 'ref-1234',
    pupil: true,
    blockPageBaseUrl: 'http://127.0.0.1:8080/',
    timeZone: 'Europe/London',
    ...overrides,
  };
}

test('the block page shows what was blocked, the reason, clause, category, time and reference', () => {
  const html = renderBlockPage(input());
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<h1>This page is blocked<\/h1>/);
  assert.match(html, /http:\/\/blocked\.example\/page/);
  assert.match(html, /Social networking sites are blocked for pupils\./);
  assert.match(html, /<dt>Policy clause<\/dt><dd>8\.1<\/dd>/);
  assert.match(html, /<dt>Category<\/dt><dd>social-networking<\/dd>/);
  assert.match(html, /2026-11-25 10:30:00 \(Europe\/London\)/);
  assert.match(html, /datetime="2026-11-25T10:30:00\.000Z"/);
  assert.match(html, /ref-1234/);
});

test('the block page offers request access, "reached by accident" and tell a teacher, posting to the block-page service', () => {
  const html = renderBlockPage(input());
  assert.match(html, /<form method="post" action="http:\/\/127\.0\.0\.1:8080\/request-access">/);
  assert.match(html, /<form method="post" action="http:\/\/127\.0\.0\.1:8080\/accident">/);
  assert.match(html, /<form method="post" action="http:\/\/127\.0\.0\.1:8080\/tell-teacher">/);
  assert.match(html, /I reached this by accident/);
  assert.match(html, /Tell a teacher/);
  assert.match(html, /<input type="hidden" name="reference" value="ref-1234">/);
  // every text field has a label
  for (const id of html.matchAll(/<textarea id="([^"]+)"/g)) assert.match(html, new RegExp(`<label for="${id[1]}">`));
});

test('pupils see the SMART advice in child-friendly words and staff do not', () => {
  const forPupil = renderBlockPage(input({ pupil: true }));
  for (const word of ['Safe', 'Meeting', 'Accepting', 'Reliable', 'Tell']) assert.match(forPupil, new RegExp(`<strong>${word}</strong>`));
  assert.match(forPupil, /You have not done anything wrong/);
  const forStaff = renderBlockPage(input({ pupil: false }));
  assert.doesNotMatch(forStaff, /Be SMART online/);
  assert.match(forStaff, /Access to this site is blocked/);
});

test('escapes everything reflected from the request on the block page', () => {
  const html = renderBlockPage(input({ url: `http://blocked.example/${hostile}`, host: `x${hostile}`, reason: hostile, clauses: [hostile], categories: [hostile], reference: hostile }));
  assert.doesNotMatch(html, /<script>/);
  assert.doesNotMatch(html, /<img /);
  assert.doesNotMatch(html, /"><script/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('escapes everything reflected on the warn page, including the problem text and token', () => {
  const html = renderWarnPage({ ...input({ url: `http://warned.example/${hostile}` }), continueAction: '/.hedgerow/continue', token: hostile, problem: hostile });
  assert.doesNotMatch(html, /<script>/);
  assert.doesNotMatch(html, /<img /);
  assert.match(html, /<textarea id="reason" name="reason" rows="3" maxlength="500" required aria-describedby="problem">/);
  assert.match(html, /<label for="reason">/);
});

test('escapes the target and message of an error page', () => {
  const html = renderErrorPage({ status: 502, title: hostile, message: hostile, target: hostile, at: 0 });
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&lt;script&gt;/);
});

test('escapeHtml escapes the five HTML specials and the backtick', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&\``), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;');
});
