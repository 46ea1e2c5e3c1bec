// Shapes shared by the workflow sections of the policy file.
import { z } from 'zod';

export const roleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, `.`, `_` or `-`');
export const clauseRef = z.string().min(1);
export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-09-02');
export const duration = z.string().regex(/^\d+(m|h|d|w|y)$/, 'must be a duration like 90m, 8h, 30d, 1y');

/**
 * Who a workflow step goes to: roles of the policy, or a relation of the person it is about
 * (`line-manager` from the roster, `class-teacher` = teachers of the pupil's classes).
 */
export const routeTo = z.array(z.union([roleId, z.enum(['line-manager', 'class-teacher'])])).min(1);
