// Shared set-up of the mail tests: the reference policy's mail section, the reference roster's
// names (fictional people), the .eml fixtures and envelopes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMailInspector, type MailEnvelope, type MailInspector } from '../../src/mail/index.ts';
import { loadPolicy, type ResolvedMailPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export function referencePolicy(): ResolvedPolicy {
  const { policy, problems } = loadPolicy(referencePolicyPath());
  if (!policy) throw new Error(problems.map((p) => p.message).join('; '));
  return policy;
}

export function referenceMail(): ResolvedMailPolicy {
  const mail = referencePolicy().mail;
  if (!mail) throw new Error('the reference policy has no mail section');
  return mail;
}

/** The full names of the reference roster (examples/reference/roster.csv). */
export function rosterNames(): string[] {
  return readFileSync(`${root}examples/reference/roster.csv`, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[0]!.trim())
    .filter((name) => name !== '');
}

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${root}test/fixtures/mail/${name}`));
}

export function referenceInspector(): MailInspector {
  return createMailInspector({ policy: referenceMail(), names: rosterNames(), now: () => Date.parse('2026-11-24T10:15:00Z') });
}

export function outbound(from: string, ...to: string[]): MailEnvelope {
  return { mailFrom: from, rcptTo: to, direction: 'outbound' };
}

export function inbound(from: string, ...to: string[]): MailEnvelope {
  return { mailFrom: from, rcptTo: to, direction: 'inbound' };
}

/** The message with its To header replaced, so headers and envelope agree. */
export function addressedTo(raw: Uint8Array, ...to: string[]): Uint8Array {
  const text = Buffer.from(raw).toString('utf8');
  return new TextEncoder().encode(text.replace(/^To: .*$/m, `To: ${to.join(', ')}`));
}
