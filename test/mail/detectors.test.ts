// Detector vectors: published test values, values checked by hand, bad check digits and near
// misses, for each personal-data detector, on its own and inside text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidNhsNumber, isValidNino, isValidPostcode, isValidUpn, luhnValid, paymentCardScheme, TextScanner, upnCheckLetter } from '../../src/mail/index.ts';
import { referenceMail, rosterNames } from './helpers.ts';

const mail = referenceMail();
const scanner = new TextScanner({ markings: mail.markings, wordLists: mail.wordLists, names: rosterNames() });
const found = (text: string, options: { csv?: boolean; words?: boolean; excludeNames?: Set<string> } = {}) =>
  scanner.scan(text, { personalData: true, ...options }).map((h) => `${h.signal} ${h.match}`);

describe('National Insurance numbers (HMRC prefix rules)', () => {
  it('accepts a well-formed number', () => {
    assert.equal(isValidNino('AB123456C'), true);
    assert.equal(isValidNino('JG103759A'), true);
  });
  it("rejects HMRC's own example QQ123456C: Q is never a prefix letter", () => {
    assert.equal(isValidNino('QQ123456C'), false);
    assert.deepEqual(found('NI number QQ 12 34 56 C'), []);
  });
  it('rejects D, F, I, Q, U and V in either prefix letter, and O as the second', () => {
    for (const prefix of ['DA', 'FA', 'IA', 'QA', 'UA', 'VA', 'AD', 'AF', 'AI', 'AQ', 'AU', 'AV', 'AO']) {
      assert.equal(isValidNino(`${prefix}123456A`), false, prefix);
    }
    assert.equal(isValidNino('OA123456A'), true, 'O may be the first letter');
  });
  it('rejects the prefixes that are never allocated (BG GB NK KN TN NT ZZ)', () => {
    for (const prefix of ['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']) assert.equal(isValidNino(`${prefix}123456A`), false, prefix);
  });
  it('rejects a suffix other than A to D, and a wrong number of digits', () => {
    assert.equal(isValidNino('AB123456E'), false);
    assert.equal(isValidNino('AB12345C'), false);
    assert.equal(isValidNino('AB1234567C'), false);
  });
  it('finds the number written with or without spaces, in capitals only', () => {
    assert.deepEqual(found('NI: AB 12 34 56 C and JG103759A'), ['pii.ni-number …56C', 'pii.ni-number …59A']);
    assert.deepEqual(found('ab 12 34 56 c'), []);
    assert.deepEqual(found('XAB123456C'), [], 'not inside a longer word');
  });
});

describe('NHS numbers (modulus 11)', () => {
  it('accepts the published test number 943 476 5919', () => {
    assert.equal(isValidNhsNumber('9434765919'), true);
  });
  it('rejects a bad check digit, a check value of 10, and repeated digits', () => {
    assert.equal(isValidNhsNumber('9434765918'), false);
    // 1·10 + 2·9 + … + 9·2 = 210; 210 mod 11 = 1; 11 − 1 = 10: no check digit can be right
    for (let d = 0; d <= 9; d++) assert.equal(isValidNhsNumber(`123456789${d}`), false);
    assert.equal(isValidNhsNumber('0000000000'), false);
    assert.equal(isValidNhsNumber('4444444444'), false);
  });
  it('finds the NHS grouping 3-3-4 anywhere, and ten digits in a row only next to the word NHS', () => {
    assert.deepEqual(found('number 943 476 5919 please'), ['pii.nhs-number …919']);
    assert.deepEqual(found('ref 943-476-5919'), ['pii.nhs-number …919']);
    assert.deepEqual(found('NHS no. 9434765919'), ['pii.nhs-number …919']);
    assert.deepEqual(found('order 9434765919 shipped'), []);
  });
  it('does not read a number out of a longer one or a phone number', () => {
    assert.deepEqual(found('12 943 476 5919'), []);
    assert.deepEqual(found('9434765919 1'), []);
    assert.deepEqual(found('+44 943 476 5919'), []);
    assert.deepEqual(found('943 476-5919'), [], 'one kind of separator');
  });
});

describe('Unique Pupil Numbers (DfE check letter)', () => {
  // V894200021001: 8·2 + 9·3 + 4·4 + 2·5 + 0·6 + 0·7 + 0·8 + 2·9 + 1·10 + 0·11 + 0·12 + 1·13 = 110;
  // 110 mod 23 = 18, the 19th letter of ABCDEFGHJKLMNPQRTUVWXYZ: V
  it('accepts a UPN whose check letter is right (checked by hand)', () => {
    assert.equal(isValidUpn('V894200021001'), true);
    assert.equal(upnCheckLetter('894200021001'), 'V');
  });
  it('accepts a temporary UPN ending in a letter (A counts 0)', () => {
    // 16 + 27 + 16 + 10 + 18 + 10 + 0·13 = 97; 97 mod 23 = 5: F
    assert.equal(isValidUpn('F89420002100A'), true);
  });
  it('rejects a wrong check letter, I O S, and the wrong length', () => {
    assert.equal(isValidUpn('W894200021001'), false);
    assert.equal(isValidUpn('V894200021002'), false);
    assert.equal(isValidUpn('I894200021001'), false);
    assert.equal(isValidUpn('V89420002100'), false);
  });
  it('finds it in text', () => {
    assert.deepEqual(found('UPN V894200021001.'), ['pii.upn …001']);
    assert.deepEqual(found('UPN W894200021001.'), []);
  });
});

describe('payment cards (known prefix, Luhn)', () => {
  it('accepts the published test numbers', () => {
    assert.equal(paymentCardScheme('4111111111111111'), 'Visa');
    assert.equal(paymentCardScheme('5555555555554444'), 'Mastercard');
    assert.equal(paymentCardScheme('378282246310005'), 'American Express');
    assert.equal(paymentCardScheme('6011111111111117'), 'Discover');
  });
  it('rejects a bad Luhn digit, an unknown prefix and a wrong length', () => {
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(paymentCardScheme('4111111111111112'), null);
    assert.equal(paymentCardScheme('1234567812345670'), null, 'Luhn-valid but no issuer starts with 1');
    assert.equal(paymentCardScheme('411111111111111'), null);
  });
  it('finds 4111 1111 1111 1111 in text, also when the expiry follows it', () => {
    assert.deepEqual(found('card 4111 1111 1111 1111 thanks'), ['pii.payment-card Visa …111']);
    assert.deepEqual(found('card 4111-1111-1111-1111 12 27'), ['pii.payment-card Visa …111']);
    assert.deepEqual(found('card 4111 1111 1111 1112'), []);
  });
});

describe('UK postcodes', () => {
  it('accepts the shapes of real postcodes', () => {
    for (const code of ['SW1A 1AA', 'TF3 4JA', 'EC1A 1BB', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'GIR 0AA', 'TF34JA']) {
      assert.equal(isValidPostcode(code), true, code);
    }
  });
  it('rejects near misses: Q as the area letter, C or I in the unit, no inward code', () => {
    for (const code of ['QA1 1AA', 'TF1 1CI', 'TF1', 'TF1 AB']) assert.equal(isValidPostcode(code), false, code);
  });
  it('finds postcodes in capitals and shows only the district', () => {
    assert.deepEqual(found('Darby House, Telford TF3 4JA.'), ['pii.postcode TF3 …']);
    assert.deepEqual(found('tf3 4ja'), []);
  });
});

describe('dates of birth (next to DOB, date of birth or born)', () => {
  it('finds a date after its keyword in the usual spellings', () => {
    assert.deepEqual(found('DOB: 14/10/2020'), ['pii.date-of-birth …020']);
    assert.deepEqual(found('d.o.b. 2020-10-14'), ['pii.date-of-birth …014']);
    assert.deepEqual(found('Date of birth 3rd March 2015'), ['pii.date-of-birth …015']);
    assert.deepEqual(found('born on March 3, 2015'), ['pii.date-of-birth …015']);
  });
  it('ignores dates without the keyword, impossible dates and years alone', () => {
    assert.deepEqual(found('Date: 14/10/2020'), []);
    assert.deepEqual(found('DOB 31/13/2020'), []);
    assert.deepEqual(found('born in 2015'), []);
    assert.deepEqual(found('DOBSON 14/10/2020'), []);
  });
  it("reads a spreadsheet's date-of-birth column as dates of birth", () => {
    const csv = 'name,"Date of Birth",class\nchild one,14/10/2020,1T\nchild two,2021-02-03,1T\nchild three,unknown,1T\n';
    assert.deepEqual(found(csv, { csv: true }), ['pii.date-of-birth …020', 'pii.date-of-birth …203']);
    assert.deepEqual(found(csv), ['pii.date-of-birth …020'], 'read as prose, only the date next to the heading counts');
  });
});

describe('bank details (sort code and account number together)', () => {
  it('finds a sort code with an account number near it', () => {
    assert.deepEqual(found('Sort code 12-34-56, account number 12345678'), ['pii.bank-account sort code …56, account …678']);
    assert.deepEqual(found('sort code: 123456 acc 87654321'), ['pii.bank-account sort code …56, account …321']);
  });
  it('ignores either one alone, and both without a bank word', () => {
    assert.deepEqual(found('sort code 12-34-56'), []);
    assert.deepEqual(found('account number 12345678'), []);
    assert.deepEqual(found('Invoice 12345678 dated 12-03-21'), []);
  });
});

describe('full names from the roster', () => {
  it('finds a name whatever its case, possessive or order', () => {
    assert.deepEqual(found('Poppy Hazelwood'), ['pii.full-name P. H.']);
    assert.deepEqual(found('POPPY HAZELWOOD'), ['pii.full-name P. H.']);
    assert.deepEqual(found("Poppy Hazelwood's coat"), ['pii.full-name P. H.']);
    assert.deepEqual(found('Hazelwood, Poppy'), ['pii.full-name P. H.']);
    assert.deepEqual(found('"Poppy","Hazelwood"'), ['pii.full-name P. H.'], 'a spreadsheet row');
    assert.deepEqual(found('Poppy Hazelwood and poppy hazelwood'), ['pii.full-name P. H.'], 'once per name');
  });
  it('needs both words, whole, next to each other', () => {
    assert.deepEqual(found('Poppy'), []);
    assert.deepEqual(found('Poppy and Hazelwood'), []);
    assert.deepEqual(found('Poppy Hazelwoods'), []);
    assert.deepEqual(found('XPoppy Hazelwood'), []);
  });
  it('skips the names it is told to (the sender)', () => {
    assert.deepEqual(found('Ada Tinderbox', { excludeNames: new Set(['ada tinderbox']) }), []);
  });
});

describe('protective markings', () => {
  it('finds OFFICIAL-SENSITIVE written in capitals, with a hyphen or a space', () => {
    assert.deepEqual(found('[OFFICIAL-SENSITIVE] notes'), ['marking.protective OFFICIAL-SENSITIVE']);
    assert.deepEqual(found('OFFICIAL SENSITIVE'), ['marking.protective OFFICIAL SENSITIVE']);
    assert.deepEqual(found('an official-sensitive topic'), []);
  });
});

describe('word lists', () => {
  const words = (text: string) => scanner.scan(text, { personalData: false, words: true }).map((h) => `${h.signal} ${h.match} ${h.language}`);
  it('matches whole words only (no Scunthorpe problem), in any case', () => {
    assert.deepEqual(words('A trip to Scunthorpe'), []);
    assert.deepEqual(words('You WANKER'), ['content.offensive wanker en']);
  });
  it('lets `*` stand for one word and reports the words as matched', () => {
    assert.deepEqual(words('please forward this to 12 people today'), ['content.chain-mail forward this to 12 people en']);
    assert.deepEqual(words('forward this to people'), []);
  });
  it('names the language of the list that matched', () => {
    assert.deepEqual(words('co za kurwa'), ['content.offensive kurwa pl']);
  });
});
