// Which version of the policy staff accept, and when it is due for review.
//
// The version is the school layer's `version` plus a digest of what the acknowledgement page
// shows (the layer, its name and version, and each listed clause with its title). So a new
// `version` asks everyone again, and so does a changed clause text under the same version; an
// edit elsewhere in the file (a site added to a block list from the dashboard) does not, because
// nobody was shown it. The full policy revision is still stored with each acceptance as evidence.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../db/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';

export interface PolicyVersion {
  key: string;
  version: string;
  digest: string;
  policyName: string;
  owner: string | null;
  /** the whole policy's revision when this was computed */
  revision: string;
  clauses: Array<{ id: string; title: string }>;
}

/** The nearest layer: the school's own file. */
function schoolLayer(policy: ResolvedPolicy): ResolvedPolicy['layers'][number] | null {
  return policy.layers[policy.layers.length - 1] ?? null;
}

export function policyVersionOf(policy: ResolvedPolicy): PolicyVersion {
  const layer = schoolLayer(policy);
  const version = layer?.version ?? 'unversioned';
  const listed = policy.workflows.compliance?.acknowledgement?.clauses ?? [];
  const clauses = listed.map((id) => ({ id, title: policy.clauses[id]?.title ?? '' }));
  const shown = { layer: layer?.id ?? null, name: layer?.name ?? null, version, clauses };
  const digest = createHash('sha256').update(canonicalJson(shown)).digest('hex').slice(0, 12);
  return {
    key: `${version}#${digest}`,
    version,
    digest,
    policyName: layer?.name ?? '',
    owner: layer?.owner ?? null,
    revision: policy.revision,
    clauses,
  };
}

/** The review date the policy file sets: the nearest layer that has one. */
export function policyReviewDate(policy: ResolvedPolicy): string | null {
  for (let i = policy.layers.length - 1; i >= 0; i--) {
    const date = policy.layers[i]!.reviewDate;
    if (date !== undefined) return date;
  }
  return null;
}
