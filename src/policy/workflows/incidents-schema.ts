// Cyber-bullying and conduct incidents (9.1–9.9, 6.15, 6.11, 7.2): the reporting chain, the
// platforms' reporting links, evidence limits and the guidance shown to staff.
import { z } from 'zod';
import { clauseRef, roleId } from './common.ts';

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
      types: z.array(z.string()).default(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain']),
    })
    .default({ maxBytes: 10 * 1024 * 1024, types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'] }),
  /** shown to staff when they open or report a case (9.3) */
  guidance: z.string().optional(),
});
export type IncidentsSection = z.infer<typeof incidentsSchema>;
