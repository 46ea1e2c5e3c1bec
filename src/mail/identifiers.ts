// Check rules of the UK identifiers the personal-data detectors look for. Each function takes
// the identifier without spaces or separators and answers whether it is a possible, well-formed
// value; the detectors find candidates with a pattern first and then ask here.

// HMRC: D, F, I, Q, U and V are never the first or second letter of a prefix, O is never the
// second, and these prefixes are not allocated.
const NINO_BAD_LETTER = /[DFIQUV]/;
const NINO_BAD_PREFIX = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

/** `AB123456C`: two prefix letters, six digits, a suffix A to D. */
export function isValidNino(value: string): boolean {
  const v = value.toUpperCase();
  if (!/^[A-Z]{2}\d{6}[A-D]$/.test(v)) return false;
  const prefix = v.slice(0, 2);
  if (NINO_BAD_LETTER.test(prefix[0]!) || NINO_BAD_LETTER.test(prefix[1]!) || prefix[1] === 'O') return false;
  return !NINO_BAD_PREFIX.has(prefix);
}

/** Ten digits whose last is the modulus 11 check digit of the first nine (weights 10 to 2). */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  // all-same digits pass the arithmetic but are never issued
  if (/^(\d)\1{9}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (value.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === value.charCodeAt(9) - 48;
}

// The DfE's check-letter alphabet: A to Z without I, O and S; a letter's value is its index.
const UPN_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ';

/**
 * A Unique Pupil Number: a check letter, then 11 digits (local authority, establishment, year,
 * serial), then a digit or, in a temporary UPN, a letter. The check letter is the alphabet's
 * letter at (sum of character × position, positions 2 to 13) mod 23.
 */
export function isValidUpn(value: string): boolean {
  const v = value.toUpperCase();
  if (!/^[A-Z]\d{11}[0-9A-Z]$/.test(v)) return false;
  let sum = 0;
  for (let i = 1; i < 13; i++) {
    const c = v[i]!;
    const n = c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : UPN_LETTERS.indexOf(c);
    if (n < 0) return false;
    sum += n * (i + 1);
  }
  return UPN_LETTERS[sum % 23] === v[0];
}

/** The check letter a UPN's last twelve characters need (for building test values). */
export function upnCheckLetter(rest: string): string | null {
  if (!/^\d{11}[0-9A-Z]$/i.test(rest)) return null;
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const c = rest[i]!.toUpperCase();
    const n = c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : UPN_LETTERS.indexOf(c);
    if (n < 0) return null;
    sum += n * (i + 2);
  }
  return UPN_LETTERS[sum % 23]!;
}

/** The Luhn check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// Issuer prefixes and lengths of the schemes in use in the UK.
const CARD_SCHEMES: ReadonlyArray<{ name: string; prefix: RegExp; lengths: readonly number[] }> = [
  { name: 'Visa', prefix: /^4/, lengths: [13, 16, 19] },
  { name: 'Mastercard', prefix: /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] },
  { name: 'American Express', prefix: /^3[47]/, lengths: [15] },
  { name: 'Diners Club', prefix: /^(30[0-5]|36|38|39)/, lengths: [14, 16, 17, 18, 19] },
  { name: 'Discover', prefix: /^(6011|65|64[4-9])/, lengths: [16, 17, 18, 19] },
  { name: 'JCB', prefix: /^35(2[89]|[3-8]\d)/, lengths: [16, 17, 18, 19] },
  { name: 'UnionPay', prefix: /^62/, lengths: [16, 17, 18, 19] },
  { name: 'Maestro', prefix: /^(5[06-9]|6\d)/, lengths: [13, 14, 15, 16, 17, 18, 19] },
];

/** The card scheme of a 13 to 19 digit number with a known prefix and a valid Luhn check, or null. */
export function paymentCardScheme(digits: string): string | null {
  if (!/^\d{13,19}$/.test(digits)) return null;
  const scheme = CARD_SCHEMES.find((s) => s.prefix.test(digits) && s.lengths.includes(digits.length));
  if (!scheme || !luhnValid(digits)) return null;
  return scheme.name;
}

/**
 * The shape of a UK postcode in capitals, with or without the space: outward code (area,
 * district) and inward code (sector, unit; never C, I, K, M, O or V in the unit).
 */
export const POSTCODE_SOURCE =
  '(?:GIR ?0AA|[A-PR-UWYZ](?:\\d[A-HJKPSTUW]|\\d{1,2}|[A-HK-Y]\\d[ABEHMNPRV-Y]|[A-HK-Y]\\d{1,2}) ?\\d[ABD-HJLNP-UW-Z]{2})';
const POSTCODE_EXACT = new RegExp(`^${POSTCODE_SOURCE}$`);

export function isValidPostcode(value: string): boolean {
  return POSTCODE_EXACT.test(value);
}
