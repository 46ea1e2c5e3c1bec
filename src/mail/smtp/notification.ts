// The message a sender gets when their mail was delivered with a warning (or held): what was
// noticed, the clauses, and what to do. Sent from the null sender with Auto-Submitted so no
// auto-responder answers it and no bounce loops back.
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailVerdict } from '../types.ts';

export interface NotificationInput {
  /** the notification's From header */
  from: string;
  /** the original envelope sender */
  to: string;
  kind: 'warned' | 'held' | 'refused-recipients';
  verdict: MailVerdict | null;
  recipients: readonly string[];
  quarantineId?: string;
  /** next-hop refusals, for `refused-recipients` */
  refused?: ReadonlyArray<{ recipient: string; response: string }>;
}

const HEADINGS: Record<NotificationInput['kind'], string> = {
  warned: 'Your message was delivered with a warning',
  held: 'Your message is held for review',
  'refused-recipients': 'Your message could not be delivered to some recipients',
};

export function notificationText(input: NotificationInput): string {
  const lines: string[] = [];
  const subject = input.verdict?.message.subject ?? '';
  lines.push(`${HEADINGS[input.kind]}${subject ? `: "${subject}"` : ''}.`, '');
  if (input.kind === 'warned' && input.verdict) {
    lines.push('It went to every recipient, but the mail policy asks you to check the following:', '');
    const warnings = input.verdict.warnings.length > 0 ? input.verdict.warnings : input.verdict.reasons.map((r) => r.text);
    for (const warning of warnings) lines.push(`  - ${warning}`);
  } else if (input.kind === 'held' && input.verdict) {
    lines.push('It was not delivered. It is sealed in quarantine: nobody can read it unless you or a recipient challenges the decision.', '');
    for (const reason of input.verdict.reasons) lines.push(`  - ${reason.text}${reason.clause ? ` (clause ${reason.clause})` : ''}`);
    if (input.quarantineId) lines.push('', `Quarantine reference: ${input.quarantineId}`);
  } else if (input.kind === 'refused-recipients') {
    lines.push('It was delivered to the other recipients. The next mail server refused these:', '');
    for (const refused of input.refused ?? []) lines.push(`  - ${refused.recipient}: ${refused.response}`);
  }
  if (input.verdict && input.kind !== 'refused-recipients') {
    const clauses = [...new Set(input.verdict.reasons.map((r) => r.clause).filter((c): c is string => Boolean(c)))];
    if (clauses.length > 0) lines.push('', `Policy clauses: ${clauses.join(', ')}`);
  }
  lines.push('', `Recipients: ${input.recipients.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function buildNotification(input: NotificationInput): Promise<Buffer> {
  const subject = input.verdict?.message.subject;
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    subject: `${HEADINGS[input.kind]}${subject ? `: ${subject}` : ''}`,
    text: notificationText(input),
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
    ...(input.verdict?.message.messageId ? { inReplyTo: input.verdict.message.messageId, references: input.verdict.message.messageId } : {}),
  });
  return composer.compile().build();
}
