// A stand-in inspector for the protocol tests only: it decides by marker strings in the message,
// so each test can ask for the verdict it needs. The real detectors are tested in test/mail and
// used by the Postfix tests.
import type { MailEnvelope, MailInspector, MailVerdict } from '../../../src/mail/index.ts';

export interface MarkerInspector extends MailInspector {
  calls: Array<{ envelope: MailEnvelope; size: number }>;
}

function verdict(action: MailVerdict['action'], raw: Buffer, text: string, code: number, enhanced: string): MailVerdict {
  const subject = /^Subject: (.*)$/im.exec(raw.toString('latin1'))?.[1]?.trim() ?? '';
  return {
    action,
    signals: action === 'deliver' ? [] : [{ name: 'test.marker', weight: 10, description: 'a test marker', clause: '9.9', where: 'body', match: '…KER' }],
    reasons: action === 'deliver' ? [] : [{ text, clause: '9.9', rule: 'test.marker' }],
    smtp: { code, enhanced, message: text },
    warnings: action === 'warn' ? ['check the recipients (clause 9.9)'] : [],
    message: { subject, from: '', messageId: null, size: raw.length },
    rules: action === 'deliver' ? [] : [{ id: 'test.marker', action }],
    scores: { personalData: 0, phishing: 0 },
    inspectedAt: Date.now(),
  };
}

export function markerInspector(): MarkerInspector {
  const calls: MarkerInspector['calls'] = [];
  return {
    calls,
    async inspect(raw, envelope) {
      calls.push({ envelope, size: raw.length });
      const text = Buffer.from(raw).toString('latin1');
      if (text.includes('THROW-MARKER')) throw new Error('inspector failure');
      if (text.includes('SLOW-MARKER')) return new Promise<MailVerdict>(() => undefined);
      const body = Buffer.from(raw);
      if (text.includes('REJECT-MARKER')) return verdict('reject', body, 'rejected: the message carries a reject marker (clause 9.9)', 550, '5.7.1');
      if (text.includes('HOLD-MARKER')) return verdict('quarantine', body, 'held: the message carries a hold marker (clause 9.9)', 550, '5.7.1');
      if (text.includes('WARN-MARKER')) return verdict('warn', body, 'delivered with a warning (clause 9.9)', 250, '2.0.0');
      return verdict('deliver', body, 'ok', 250, '2.0.0');
    },
  };
}
