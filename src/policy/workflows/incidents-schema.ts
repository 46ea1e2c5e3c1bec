// Cyber-bullying and conduct incidents (9.1–9.9, 6.15, 6.11, 7.2): the reporting chain, the
// platforms' reporting links, evidence limits, who owns each next step and the guidance shown
// to staff.
import { z } from 'zod';
import { clauseRef, duration, roleId } from './common.ts';

/**
 * The evidence types Hedgerow can check against the file's own bytes (magic numbers, or valid
 * UTF-8 for text). A type that cannot be checked cannot be accepted, so the list is closed.
 */
export const EVIDENCE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

/** The next steps 9.5–9.8 prescribe; `src/cases/incidents` proposes them from the case. */
export const INCIDENT_STEP_KINDS = ['pupil-behaviour', 'staff-disciplinary', 'victim-meeting', 'removal-request', 'provider-report', 'police-referral'] as const;

const stepSettings = z.strictObject({
  /** the role that owns the step when it is proposed; absent = the role the case is with */
  role: roleId.optional(),
  /** due this long after the step is proposed */
  dueWithin: duration.optional(),
});

export const incidentsSchema = z.strictObject({
  /** who sees and handles cases, in the order the school's anti-bullying policy escalates */
  chain: z.array(roleId).min(1),
  clauses: z.array(clauseRef).default([]),
  /** platform name → where to report content to its provider (9.7) */
  platforms: z.record(z.string(), z.strictObject({ title: z.string().optional(), reportUrl: z.string().url() })).default({}),
  evidence: z
    .strictObject({
      maxBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
      /** MIME types accepted, checked against the file's own bytes */
      types: z.array(z.enum(EVIDENCE_TYPES)).min(1).default([...EVIDENCE_TYPES]),
    })
    .default({ maxBytes: 10 * 1024 * 1024, types: [...EVIDENCE_TYPES] }),
  /** owner role and time allowed for each kind of next step (9.5–9.8) */
  steps: z.partialRecord(z.enum(INCIDENT_STEP_KINDS), stepSettings).default({}),
  /** shown to staff when they open or report a case (9.3) */
  guidance: z.string().optional(),
});
export type IncidentsSection = z.infer<typeof incidentsSchema>;
