// Prints docs/errors.md from the table of codes: `node --import tsx scripts/errors-doc.ts > docs/errors.md`.
import { errorCodes } from '../src/errors/index.ts';

const lines = [
  '# Error codes',
  '',
  'Every error Hedgerow reports carries one of these codes, a message in plain words and, for input',
  'errors, where the problem is (`file:line:column`, field path). The CLI prints',
  '`hedgerow: CODE: where: message`; the HTTP API answers with the status shown and',
  '`{ "code", "message", "where" }`. A test keeps this table in step with `src/errors/codes.ts`.',
  '',
  '| code | HTTP status | meaning |',
  '|---|---|---|',
  ...Object.entries(errorCodes).map(([code, info]) => `| ${code} | ${'status' in info ? info.status : '—'} | ${info.summary} |`),
  '',
];
process.stdout.write(lines.join('\n'));
