// The inspector's contract with the SMTP filter: an envelope and raw message in, a verdict out.

export interface MailEnvelope {
  mailFrom: string;
  rcptTo: string[];
  direction: 'outbound' | 'inbound';
  clientAddress?: string;
  heloName?: string;
}

export type MailSignalWhere = 'subject' | 'body' | 'attachment' | 'header' | 'envelope';

export interface MailSignal {
  name: string;
  weight: number;
  description: string;
  clause?: string;
  where: MailSignalWhere;
  /** the attachment's file name, when `where` is `attachment` */
  attachment?: string;
  /** redacted: the last digits of a number, a name's initials, a postcode's district; word-list
   * phrases and protective markings as matched */
  match: string;
  /** the word list's language, for word-list signals */
  language?: string;
}

export type MailVerdictAction = 'deliver' | 'warn' | 'reject' | 'quarantine';

export interface MailReason {
  text: string;
  clause?: string;
  /** the mail rule's id (`personal-data-external`), or `malformed` */
  rule: string;
}

export interface MailVerdict {
  action: MailVerdictAction;
  signals: MailSignal[];
  /** readable reasons citing clauses, most severe first; the first is the SMTP message */
  reasons: MailReason[];
  /** 250 2.0.0 accepted · 550 5.7.1 refused by policy · 554 5.6.0 malformed */
  smtp: { code: number; enhanced: string; message: string };
  /** texts for the sender's warning notification when the action is `warn` */
  warnings: string[];
  message: { subject: string; from: string; messageId: string | null; size: number };
  /** the rules that fired, with what each would do on its own */
  rules: Array<{ id: string; action: MailVerdictAction }>;
  /** the summed weights the thresholds were compared with */
  scores: { personalData: number; phishing: number };
  /** when the inspection finished (epoch milliseconds) */
  inspectedAt: number;
}

export interface MailInspector {
  inspect(raw: Uint8Array, envelope: MailEnvelope): Promise<MailVerdict>;
}
