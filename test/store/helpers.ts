// Decision events for the store tests: fictional people, reserved names.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionEvent } from '../../src/engine/index.ts';

export const T0 = Date.parse('2026-11-24T09:00:00Z');

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'hedgerow-store-'));
}

export function makeEvent(n: number, overrides: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    v: 1,
    id: `ev-${String(n).padStart(8, '0')}`,
    at: T0 + n * 1000,
    point: 'proxy',
    person: n % 2 === 0 ? 'ada.pupil' : 'ben.pupil',
    role: 'pupil',
    groups: ['year-7'],
    device: null,
    clientIp: '192.0.2.10',
    host: n % 3 === 0 ? 'blocked.example' : 'allowed.example',
    url: n % 3 === 0 ? 'https://blocked.example/' : null,
    categories: n % 3 === 0 ? ['social-networking'] : [],
    action: n % 3 === 0 ? 'block' : 'allow',
    rule: n % 3 === 0 ? 'pupil-social-media' : 'default',
    clauses: n % 3 === 0 ? ['8.1'] : [],
    circumvention: false,
    policyRevision: 'rev-1',
    warnReason: null,
    searchTerm: null,
    ...overrides,
  };
}
