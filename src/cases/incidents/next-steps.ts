// The next steps 9.5–9.8 prescribe, worked out from the case alone:
// - a pupil or a colleague as alleged perpetrator → the school's own procedures (9.5): the
//   behaviour procedure for a pupil (7.2), the disciplinary procedure for staff (6.11, 6.15);
//   the case's type says the same when no perpetrator is named yet;
// - an adult (parent or carer, or another adult) → a senior member of staff meets the victim and
//   the perpetrator is asked to remove the content (9.6); if they refuse or do not answer, the
//   content is reported to the provider through its reporting page (9.7);
// - a perpetrator nobody knows cannot be asked, so reporting to the provider is suggested;
// - material that is threatening, abusive, sexist, sexual or a hate crime → the police step
//   (9.8) is required: either a referral or a recorded decision not to refer.
// Steps are never withdrawn once proposed; a step whose reason has gone stops being required.
import type { IncidentsSection } from '../../policy/index.ts';
import { STEP_INFO, type IncidentType, type PartyKind, type PartyRole, type PoliceCriterion, type ProposedStepKind, type RemovalResult } from './incident-model.ts';

export interface StepProposal {
  kind: ProposedStepKind;
  required: boolean;
  /** why, in a sentence, for the case's next-steps list */
  basis: string;
  /** the provider's reporting page (provider-report) */
  link: string | null;
}

export interface StepSituation {
  type: IncidentType;
  parties: ReadonlyArray<{ kind: PartyKind; role: PartyRole }>;
  criteria: readonly PoliceCriterion[];
  platform: string | null;
  /** what came of the removal request, once recorded */
  removalResult: RemovalResult | null;
}

const ADULTS: ReadonlySet<PartyKind> = new Set(['parent-carer', 'other-adult']);

/** The platform's entry in the policy: by key, or by its title, ignoring case. */
export function platformEntry(platforms: IncidentsSection['platforms'], platform: string | null): { id: string; title: string; reportUrl: string } | null {
  if (!platform) return null;
  const wanted = platform.trim().toLowerCase();
  for (const [id, entry] of Object.entries(platforms)) {
    if (id.toLowerCase() === wanted || entry.title?.toLowerCase() === wanted) return { id, title: entry.title ?? id, reportUrl: entry.reportUrl };
  }
  return null;
}

export function proposeSteps(situation: StepSituation, platforms: IncidentsSection['platforms']): StepProposal[] {
  const perpetrators = situation.parties.filter((p) => p.role === 'alleged-perpetrator').map((p) => p.kind);
  const out: StepProposal[] = [];
  const add = (kind: ProposedStepKind, required: boolean, basis: string, link: string | null = null) => out.push({ kind, required, basis, link });

  if (perpetrators.includes('pupil')) add('pupil-behaviour', true, 'An alleged perpetrator is a current pupil (9.5, 7.2).');
  else if (situation.type === 'pupil-breach') add('pupil-behaviour', true, 'The case is a breach of the policy by a pupil (7.2).');

  if (perpetrators.includes('colleague')) add('staff-disciplinary', true, 'An alleged perpetrator is a colleague (9.5, 6.11, 6.15).');
  else if (situation.type === 'staff-conduct') add('staff-disciplinary', true, 'The case is bullying, coercion or manipulation by a member of staff (6.15).');
  else if (situation.type === 'staff-breach') add('staff-disciplinary', true, 'The case is a breach of the policy by a member of staff (6.11, 6.12).');

  const provider = platformEntry(platforms, situation.platform);
  const link = provider?.reportUrl ?? null;
  const where = provider ? provider.title : situation.platform ? `\`${situation.platform}\`` : 'the platform';
  const adult = perpetrators.some((kind) => ADULTS.has(kind));
  if (adult) {
    add('victim-meeting', true, 'An alleged perpetrator is an adult: a senior member of staff invites the victim to a meeting (9.6).');
    add('removal-request', true, 'An alleged perpetrator is an adult: they are asked to remove the offensive content (9.6).');
    if (situation.removalResult === 'refused' || situation.removalResult === 'no-response') {
      const why = situation.removalResult === 'refused' ? 'refused to remove the content' : 'did not answer the request to remove the content';
      add('provider-report', true, `The perpetrator ${why}: report it to ${where} through its reporting mechanism (9.7).`, link);
    }
  } else if (perpetrators.includes('unknown')) {
    add('provider-report', false, `The perpetrator is not known, so nobody can be asked to remove the content: ${where} can be asked instead (9.7).`, link);
  }

  if (situation.criteria.length > 0) {
    add('police-referral', true, `The material is marked ${situation.criteria.join(', ')}: consider contacting the police, and record the referral or the reason not to refer (9.8).`);
  }
  return out;
}

/** Title, clauses and default time allowed for a proposed step. */
export function stepInfo(kind: ProposedStepKind): (typeof STEP_INFO)[ProposedStepKind] {
  return STEP_INFO[kind];
}
