// The council's email rules on real messages (test/fixtures/mail/*.eml), through the reference
// policy: each test is one sentence of the policy and the verdict it must give.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMailInspector, GTUBE, type MailVerdict } from '../../src/mail/index.ts';
import { addressedTo, fixture, inbound, outbound, referenceInspector, referenceMail, rosterNames } from './helpers.ts';

const inspector = referenceInspector();
const ADA = 'ada.tinderbox@taw.org.uk';
const PERCY = 'percy.dovecote@taw.org.uk';

const signalNames = (v: MailVerdict) => v.signals.map((s) => s.name);
const ruleIds = (v: MailVerdict) => v.rules.map((r) => r.id);

describe('outbound personal data (council-email-security)', () => {
  it('refuses an NHS number sent to an outside domain, naming the detector, the clause and the secure route', async () => {
    const v = await inspector.inspect(fixture('outbound-nhs-number.eml'), outbound(ADA, 'appointments@clinic.example'));
    assert.equal(v.action, 'reject');
    assert.deepEqual(v.smtp, { code: 550, enhanced: '5.7.1', message: v.smtp.message });
    assert.match(v.smtp.message, /NHS number \.\.\.919/);
    assert.match(v.smtp.message, /clause council-email-security/);
    assert.match(v.smtp.message, /Secure Communication System \(SCS\)/);
    assert.match(v.smtp.message, /`clinic\.example`/);
    assert.equal(v.reasons[0]!.rule, 'personal-data-external');
    assert.equal(v.reasons[0]!.clause, 'council-email-security');
    const nhs = v.signals.find((s) => s.name === 'pii.nhs-number');
    assert.deepEqual(nhs, {
      name: 'pii.nhs-number',
      weight: 5,
      description: 'an NHS number (modulus 11 check digit)',
      clause: 'council-email-security',
      where: 'body',
      match: '…919',
    });
  });

  it('never shows the whole identifier in the verdict', async () => {
    const v = await inspector.inspect(fixture('outbound-nhs-number.eml'), outbound(ADA, 'appointments@clinic.example'));
    assert.doesNotMatch(JSON.stringify(v), /943 ?476 ?5919/);
  });

  it('delivers the same message to an internal domain (telford.gov.uk, subdomains included)', async () => {
    for (const to of ['nurse@telford.gov.uk', 'office@school.taw.org.uk']) {
      const v = await inspector.inspect(addressedTo(fixture('outbound-nhs-number.eml'), to), outbound(ADA, to));
      assert.equal(v.action, 'deliver', to);
      assert.deepEqual(v.smtp, { code: 250, enhanced: '2.0.0', message: 'accepted' });
      assert.ok(signalNames(v).includes('pii.nhs-number'), 'the signal is still recorded');
    }
  });

  it('delivers personal data sent through the secure route (a GCSX domain)', async () => {
    const v = await inspector.inspect(addressedTo(fixture('outbound-nhs-number.eml'), 'referrals@health.gcsx.gov.uk'), outbound(ADA, 'referrals@health.gcsx.gov.uk'));
    assert.equal(v.action, 'deliver');
  });

  it('refuses the whole message when one of several recipients is outside', async () => {
    const both = ['nurse@telford.gov.uk', 'appointments@clinic.example'];
    const v = await inspector.inspect(addressedTo(fixture('outbound-nhs-number.eml'), ...both), outbound(ADA, ...both));
    assert.equal(v.action, 'reject');
    assert.match(v.reasons[0]!.text, /`clinic\.example`/);
    assert.doesNotMatch(v.reasons[0]!.text, /telford\.gov\.uk`/);
  });

  it('warns, rather than refuses, when the only personal data is one full name from the roster', async () => {
    const v = await inspector.inspect(fixture('outbound-one-full-name.eml'), outbound(ADA, 'bookings@coaches.example'));
    assert.equal(v.action, 'warn');
    assert.equal(v.scores.personalData, 2);
    assert.deepEqual(v.signals.map((s) => [s.name, s.match]), [['pii.full-name', 'P. H.']]);
    assert.equal(v.warnings.length, 1);
    assert.match(v.warnings[0]!, /full name P\. H\./);
    assert.equal(v.smtp.code, 250);
  });

  it("does not count the sender's own name (the signature) as personal data", async () => {
    const v = await inspector.inspect(fixture('outbound-one-full-name.eml'), outbound(ADA, 'bookings@coaches.example'));
    assert.ok(!v.signals.some((s) => s.match === 'A. T.'), JSON.stringify(v.signals));
  });

  it("refuses a CSV attachment of pupils' names and dates of birth, naming the attachment", async () => {
    const v = await inspector.inspect(fixture('outbound-class-list-csv.eml'), outbound(ADA, 'club@swimming.example'));
    assert.equal(v.action, 'reject');
    const names = v.signals.filter((s) => s.name === 'pii.full-name');
    const births = v.signals.filter((s) => s.name === 'pii.date-of-birth');
    assert.equal(names.length, 3, JSON.stringify(v.signals));
    assert.equal(births.length, 3);
    assert.ok([...names, ...births].every((s) => s.where === 'attachment' && s.attachment === 'class-1t.csv'));
    assert.match(v.reasons[0]!.text, /in the attachment `class-1t\.csv`/);
  });

  it('reads a Word document (DOCX) and refuses the National Insurance number in it', async () => {
    const v = await inspector.inspect(fixture('outbound-docx-ni-number.eml'), outbound('benedict.quayle@taw.org.uk', 'advice@family-support.example'));
    assert.equal(v.action, 'reject');
    const ni = v.signals.find((s) => s.name === 'pii.ni-number');
    assert.deepEqual([ni?.where, ni?.attachment, ni?.match], ['attachment', 'support-plan.docx', '…56C']);
  });

  it('reads a PDF and refuses the NHS number in it', async () => {
    const v = await inspector.inspect(fixture('outbound-pdf-nhs-number.eml'), outbound('benedict.quayle@taw.org.uk', 'appointments@clinic.example'));
    assert.equal(v.action, 'reject');
    const nhs = v.signals.find((s) => s.name === 'pii.nhs-number');
    assert.deepEqual([nhs?.where, nhs?.attachment], ['attachment', 'referral.pdf']);
  });

  it('refuses a message marked OFFICIAL-SENSITIVE to an outside domain', async () => {
    const v = await inspector.inspect(fixture('outbound-official-sensitive.eml'), outbound('nigel.applegarth@taw.org.uk', 'duty@partner-agency.example'));
    assert.equal(v.action, 'reject');
    assert.deepEqual(v.signals.map((s) => [s.name, s.where, s.match]), [['marking.protective', 'subject', 'OFFICIAL-SENSITIVE']]);
  });
});

describe('forwarding to personal mailboxes (council-email-unacceptable-use)', () => {
  it('refuses council mail auto-forwarded to a webmail address, naming the header it carries', async () => {
    const v = await inspector.inspect(fixture('outbound-auto-forward.eml'), outbound(ADA, 'ada.at.home@gmail.com'));
    assert.equal(v.action, 'reject');
    assert.equal(v.reasons[0]!.rule, 'forward-webmail');
    assert.match(v.smtp.message, /personal mailbox `ada\.at\.home@gmail\.com`/);
    assert.match(v.smtp.message, /`Auto-Submitted`/);
    assert.match(v.smtp.message, /clause council-email-unacceptable-use/);
    assert.ok(signalNames(v).includes('forward.auto'));
  });

  it('refuses a redirect (Resent-* headers) to a webmail address', async () => {
    const v = await inspector.inspect(fixture('outbound-redirect.eml'), outbound(ADA, 'ada.at.home@hotmail.co.uk'));
    assert.equal(v.action, 'reject');
    assert.match(v.reasons[0]!.text, /`Resent-From`/);
  });

  it('refuses a message forwarded by hand (Fwd:) to a webmail address', async () => {
    const v = await inspector.inspect(fixture('outbound-forwarded-by-hand.eml'), outbound(ADA, 'ada.at.home@gmail.com'));
    assert.equal(v.action, 'reject');
    assert.match(v.reasons[0]!.text, /subject starts `Fwd:`/);
    assert.ok(signalNames(v).includes('forward.manual'));
  });

  it('delivers the same forwarded message to a colleague inside the council', async () => {
    const to = 'benedict.quayle@taw.org.uk';
    const v = await inspector.inspect(addressedTo(fixture('outbound-forwarded-by-hand.eml'), to), outbound(ADA, to));
    assert.equal(v.action, 'deliver');
  });

  it('delivers a new message to a parent who uses webmail (writing to Gmail is not forwarding)', async () => {
    const v = await inspector.inspect(fixture('outbound-parent-at-webmail.eml'), outbound(ADA, 'a.parent@gmail.com'));
    assert.equal(v.action, 'deliver');
    assert.deepEqual(v.reasons, []);
  });
});

describe('recipients (council-email-acceptable-use)', () => {
  it('warns on blind copies (bcc) and gives the sender a warning text', async () => {
    const v = await inspector.inspect(
      fixture('outbound-blind-copies.eml'),
      outbound(ADA, 'benedict.quayle@taw.org.uk', 'cordelia.marsh@taw.org.uk', 'desmond.nightingale@taw.org.uk'),
    );
    assert.equal(v.action, 'warn');
    assert.deepEqual(ruleIds(v), ['bcc']);
    assert.equal(v.signals.find((s) => s.name === 'recipients.bcc')?.match, '2 blind copies');
    assert.match(v.warnings[0]!, /2 recipients get a blind copy \(bcc\) \(clause council-email-acceptable-use\)\. Only use bcc by exception/);
    assert.deepEqual(v.smtp, { code: 250, enhanced: '2.0.0', message: 'accepted; the sender is sent a warning' });
  });

  it('warns when a message goes to more recipients than the limit (25)', async () => {
    const many = Array.from({ length: 26 }, (_, i) => `staff${i}@taw.org.uk`);
    const raw = new TextEncoder().encode(`From: ${ADA}\r\nTo: ${many.join(', ')}\r\nSubject: Rota\r\n\r\nSee the board.\r\n`);
    const v = await inspector.inspect(raw, outbound(ADA, ...many));
    assert.equal(v.action, 'warn');
    assert.deepEqual(ruleIds(v), ['recipient-limit']);
    assert.match(v.warnings[0]!, /26 recipients, more than the limit of 25/);
    const atLimit = many.slice(0, 25);
    const ok = await inspector.inspect(new TextEncoder().encode(`From: ${ADA}\r\nTo: ${atLimit.join(', ')}\r\nSubject: Rota\r\n\r\nSee the board.\r\n`), outbound(ADA, ...atLimit));
    assert.equal(ok.action, 'deliver');
  });

  it('warns on a reply to several people that carries personal data, even inside the council', async () => {
    const v = await inspector.inspect(
      fixture('outbound-reply-all-personal-data.eml'),
      outbound(ADA, 'benedict.quayle@taw.org.uk', 'cordelia.marsh@taw.org.uk', 'staff@taw.org.uk'),
    );
    assert.equal(v.action, 'warn');
    assert.deepEqual(ruleIds(v), ['reply-all-sensitive']);
    assert.match(v.warnings[0]!, /a reply to 3 recipients carries personal data/);
    assert.match(v.warnings[0]!, /Check that the content is suitable for everyone/);
  });

  it('refuses instead of warning when a layer sets the bcc rule to reject', async () => {
    const mail = referenceMail();
    const strict = createMailInspector({ policy: { ...mail, rules: { ...mail.rules, bcc: { ...mail.rules.bcc, action: 'reject' } } }, names: rosterNames() });
    const v = await strict.inspect(fixture('outbound-blind-copies.eml'), outbound(ADA, 'benedict.quayle@taw.org.uk', 'cordelia.marsh@taw.org.uk'));
    assert.equal(v.action, 'reject');
    assert.equal(v.smtp.code, 550);
    assert.deepEqual(v.warnings, []);
  });
});

describe('chain mail and offensive content (council-email-unacceptable-use)', () => {
  it('refuses chain mail, naming the matched phrase', async () => {
    const v = await inspector.inspect(fixture('outbound-chain-mail.eml'), outbound(ADA, 'friends@mailing.example'));
    assert.equal(v.action, 'reject');
    assert.equal(v.reasons[0]!.rule, 'chain-mail');
    assert.match(v.smtp.message, /`forward this to 10 people` \(en\) in the body/);
  });

  it('refuses discriminatory content, naming the matched phrase and its language', async () => {
    const v = await inspector.inspect(fixture('outbound-discriminatory.eml'), outbound(ADA, 'neighbour@street.example'));
    assert.equal(v.action, 'reject');
    const hit = v.signals.find((s) => s.name === 'content.offensive');
    assert.deepEqual([hit?.match, hit?.language, hit?.where], ['go back to your own country', 'en', 'body']);
  });

  it('refuses offensive words inside the council too', async () => {
    const to = 'benedict.quayle@taw.org.uk';
    const v = await inspector.inspect(addressedTo(fixture('outbound-discriminatory.eml'), to), outbound(ADA, to));
    assert.equal(v.action, 'reject');
    assert.deepEqual(ruleIds(v), ['offensive']);
  });
});

describe('inbound phishing (council-email-unacceptable-use)', () => {
  it('quarantines mail from outside that borrows the display name of a member of staff', async () => {
    const v = await inspector.inspect(fixture('inbound-borrowed-display-name.eml'), inbound('head.teacher.office@freemail.example', PERCY));
    assert.equal(v.action, 'quarantine');
    assert.equal(v.reasons[0]!.rule, 'phishing');
    assert.deepEqual(v.signals.map((s) => [s.name, s.match]), [['phish.display-name', 'M. W. from `freemail.example`']]);
    assert.deepEqual(v.smtp, { code: 250, enhanced: '2.0.0', message: 'accepted' });
  });

  it('quarantines mail from a look-alike of an internal domain (te1ford.gov.uk)', async () => {
    const v = await inspector.inspect(fixture('inbound-lookalike-domain.eml'), inbound('payroll@te1ford.gov.uk', PERCY));
    assert.equal(v.action, 'quarantine');
    assert.ok(v.signals.some((s) => s.name === 'phish.lookalike-domain' && s.match === '`te1ford.gov.uk` imitates `telford.gov.uk`'));
  });

  it('quarantines mail from a punycode domain, showing what it reads as', async () => {
    const v = await inspector.inspect(fixture('inbound-punycode-domain.eml'), inbound('payroll@xn--tlford-bva.gov.uk', PERCY));
    assert.equal(v.action, 'quarantine');
    const puny = v.signals.find((s) => s.name === 'phish.punycode-domain');
    assert.equal(puny?.match, '`xn--tlford-bva.gov.uk` (télford.gov.uk)');
    assert.ok(signalNames(v).includes('phish.lookalike-domain'), 'télford folds to telford');
  });

  it('quarantines mail whose link text names the council but opens another site', async () => {
    const v = await inspector.inspect(fixture('inbound-misleading-link.eml'), inbound('portal@notices.example', PERCY));
    assert.equal(v.action, 'quarantine');
    assert.ok(v.signals.some((s) => s.name === 'phish.link-mismatch' && s.match === 'link text `www.telford.gov.uk` opens `login.blocked.example`'));
  });

  it('delivers an ordinary newsletter whose links say where they go', async () => {
    const v = await inspector.inspect(fixture('inbound-newsletter.eml'), inbound('news@library.example', PERCY));
    assert.equal(v.action, 'deliver');
    assert.deepEqual(v.signals, []);
  });

  it('does not judge inbound mail by the outbound rules (a parent may send their own details)', async () => {
    const v = await inspector.inspect(fixture('outbound-nhs-number.eml'), inbound('appointments@clinic.example', PERCY));
    assert.equal(v.action, 'deliver');
  });
});

describe('GTUBE and malformed messages', () => {
  it('rejects the GTUBE test string in either direction', async () => {
    const v = await inspector.inspect(fixture('gtube.eml'), inbound('tester@outside.example', PERCY));
    assert.equal(v.action, 'reject');
    assert.equal(v.reasons[0]!.rule, 'gtube');
    assert.equal(v.smtp.code, 550);
    const out = await inspector.inspect(new TextEncoder().encode(`From: ${ADA}\r\nSubject: t\r\n\r\n${GTUBE}\r\n`), outbound(ADA, 'x@outside.example'));
    assert.equal(out.action, 'reject');
  });

  const malformed: Array<[string, Uint8Array, RegExp]> = [
    ['an empty message', new Uint8Array(0), /empty/],
    ['a message without a header', fixture('malformed-no-header.eml'), /does not start with a header field/],
    ['a multipart message without a boundary', fixture('malformed-multipart-without-boundary.eml'), /without a boundary parameter/],
    ['a multipart message whose boundary never appears', fixture('malformed-boundary-never-appears.eml'), /boundary `declared-but-missing` never appears/],
    ['a NUL byte in the header', new TextEncoder().encode('From: a@taw.org.uk\r\nSubject: x\0y\r\n\r\nbody\r\n'), /NUL byte/],
  ];
  for (const [what, raw, message] of malformed) {
    it(`answers ${what} with 554 5.6.0 and a clear sentence, never a throw`, async () => {
      const v = await inspector.inspect(raw, outbound(ADA, 'someone@outside.example'));
      assert.equal(v.action, 'reject');
      assert.equal(v.smtp.code, 554);
      assert.equal(v.smtp.enhanced, '5.6.0');
      assert.match(v.smtp.message, message);
      assert.equal(v.reasons[0]!.rule, 'malformed');
    });
  }

  it('survives random bytes and truncated messages without throwing', async () => {
    const whole = fixture('outbound-docx-ni-number.eml');
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const cut = whole.subarray(0, seed % whole.length);
      const noisy = new Uint8Array(cut);
      if (noisy.length > 0) noisy[seed % noisy.length] = seed & 0xff;
      const v = await inspector.inspect(noisy, outbound(ADA, 'someone@outside.example'));
      assert.ok(['deliver', 'warn', 'reject', 'quarantine'].includes(v.action));
    }
  });
});

describe('the verdict', () => {
  it('describes the message: subject, sender, message id and size', async () => {
    const raw = fixture('outbound-nhs-number.eml');
    const v = await inspector.inspect(raw, outbound(ADA, 'appointments@clinic.example'));
    assert.deepEqual(v.message, { subject: 'Referral for a pupil in Year 1', from: ADA, messageId: '<referral-1@taw.org.uk>', size: raw.byteLength });
    assert.equal(v.inspectedAt, Date.parse('2026-11-24T10:15:00Z'));
  });

  it('keeps the SMTP reply in US-ASCII', async () => {
    const v = await inspector.inspect(fixture('outbound-class-list-csv.eml'), outbound(ADA, 'club@swimming.example'));
    assert.match(v.smtp.message, /^[\x20-\x7e]+$/);
    assert.match(v.reasons[0]!.text, /…/, 'the reason itself keeps the ellipsis');
  });

  it('lists the most severe reason first when several rules fire', async () => {
    // a chain letter with an NHS number, blind-copied outside: reject beats warn
    const raw = new TextEncoder().encode(
      `From: ${ADA}\r\nTo: friends@mailing.example\r\nSubject: luck\r\n\r\nBreak the chain! NHS number 943 476 5919\r\n`,
    );
    const v = await inspector.inspect(raw, outbound(ADA, 'friends@mailing.example', 'hidden@mailing.example'));
    assert.equal(v.action, 'reject');
    assert.deepEqual(v.reasons.map((r) => r.rule), ['personal-data-external', 'chain-mail', 'bcc']);
    assert.deepEqual(v.warnings, [], 'no warning notice when the message is refused');
  });
});
