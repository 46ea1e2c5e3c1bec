// Mail HTML as text and links. HTML in mail is hostile input: unclosed blocks and runs of
// markup must be read to an end, in one pass, with the same answers a browser's reader would get.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextScanner } from '../../src/mail/index.ts';
import { htmlLinks, htmlToText } from '../../src/mail/html-text.ts';

describe('HTML as the text a reader sees', () => {
  it('drops scripts, styles, comments and the head, keeps the words and decodes entities', () => {
    const html = '<html><head><title>T</title><style>p{}</style></head><body><!-- note --><p>Fish &amp; chips&nbsp;&#163;5</p><script>var x = "NHS 943 476 5919"</script><p>Done</p></body></html>';
    const text = htmlToText(html);
    assert.match(text, /Fish & chips £5/);
    assert.match(text, /Done/);
    assert.doesNotMatch(text, /NHS|note|p\{\}/);
  });

  it('hides everything after a script or comment that never closes', () => {
    assert.equal(htmlToText('<p>Visible</p><script>hidden <p>still hidden</p>').trim(), 'Visible');
    assert.equal(htmlToText(`before${'<!--'.repeat(50_000)}after`).trim(), 'before');
  });

  it('reads runs of unclosed markup of 400 KB to an end', () => {
    // a `<` that never closes is text, not a tag
    assert.equal(htmlToText('< a '.repeat(100_000)).replace(/\s+/g, ''), '<a'.repeat(100_000));
    assert.deepEqual(htmlLinks('<a href="http://x.example">'.repeat(20_000)), [], 'no closing tag, no link');
  });
});

describe('links', () => {
  it('gives each link its target and visible text', () => {
    const links = htmlLinks(`<p><a class="b" href='https://www.library.example/new?a=1&amp;b=2'>New <b>books</b></a> and <A HREF=http://x.example/>x.example</A></p>`);
    assert.deepEqual(links, [
      { href: 'https://www.library.example/new?a=1&b=2', text: 'New books' },
      { href: 'http://x.example/', text: 'x.example' },
    ]);
  });

  it('skips an anchor without href and reads the next closed one', () => {
    assert.deepEqual(htmlLinks('<a name="top">Top</a><a href="https://a.example">a.example</a>'), [{ href: 'https://a.example', text: 'a.example' }]);
  });
});

describe('detectors on hostile text', () => {
  const scanner = new TextScanner({ markings: ['OFFICIAL-SENSITIVE'], wordLists: { offensive: {}, chain: { en: ['forward this to * people'] } }, names: ['Poppy Hazelwood'] });
  it('reads long runs of digits, spaces and repeated words to an end and still finds what is real', () => {
    const text = `${'sort code' + ' '.repeat(200_000)}x ${'1 '.repeat(100_000)} ${'forward this to '.repeat(20_000)} 10 people ${'Poppy '.repeat(50_000)}Hazelwood`;
    const hits = scanner.scan(text, { personalData: true, words: true }).map((h) => `${h.signal} ${h.match}`);
    assert.deepEqual(hits.sort(), ['content.chain-mail forward this to 10 people', 'pii.full-name P. H.']);
  });
});
