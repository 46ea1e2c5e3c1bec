import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractSearchTerm } from '../../src/proxy/index.ts';

test('reads the search term of google, bing, duckduckgo, youtube and yahoo searches', () => {
  assert.equal(extractSearchTerm('http://www.google.com/search?q=volcano+facts&hl=en'), 'volcano facts');
  assert.equal(extractSearchTerm('http://www.google.co.uk/search?client=x&q=how%20to%20draw'), 'how to draw');
  assert.equal(extractSearchTerm('http://www.bing.com/search?q=rainforest'), 'rainforest');
  assert.equal(extractSearchTerm('http://www.bing.com/images/search?q=tigers'), 'tigers');
  assert.equal(extractSearchTerm('http://duckduckgo.com/?q=times+tables'), 'times tables');
  assert.equal(extractSearchTerm('http://html.duckduckgo.com/html/?q=fractions'), 'fractions');
  assert.equal(extractSearchTerm('http://www.youtube.com/results?search_query=science+songs'), 'science songs');
  assert.equal(extractSearchTerm('http://m.youtube.com/results?search_query=maths'), 'maths');
  assert.equal(extractSearchTerm('http://search.yahoo.com/search?p=planets'), 'planets');
});

test('does not take a redirect parameter for a search term', () => {
  assert.equal(extractSearchTerm('http://www.google.com/url?q=http://blocked.example/'), null);
  assert.equal(extractSearchTerm('http://www.youtube.com/watch?v=abc&search_query=x'), null);
});

test('ignores look-alike hosts and URLs without a term', () => {
  assert.equal(extractSearchTerm('http://google.com.blocked.example/search?q=x'), null);
  assert.equal(extractSearchTerm('http://notbing.com/search?q=x'), null);
  assert.equal(extractSearchTerm('http://www.google.com/search?q=%20%20'), null);
  assert.equal(extractSearchTerm('http://www.google.com/search'), null);
  assert.equal(extractSearchTerm('not a url?q=1'), null);
});

test('caps a very long search term', () => {
  const term = extractSearchTerm(`http://www.bing.com/search?q=${'a'.repeat(2000)}`);
  assert.equal(term?.length, 500);
});
