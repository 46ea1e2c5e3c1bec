// The next steps 9.5–9.8 prescribe, from the parties, the case type, the police criteria and
// what came of a removal request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proposeSteps, type StepSituation } from '../../src/cases/incidents/index.ts';

const platforms = { instagram: { title: 'Instagram', reportUrl: 'https://report.example/instagram' } };

function kinds(situation: Partial<StepSituation>): Array<[string, boolean]> {
  const full: StepSituation = { type: 'cyber-bullying', parties: [], criteria: [], platform: null, removalResult: null, ...situation };
  return proposeSteps(full, platforms).map((s) => [s.kind, s.required]);
}

describe('next steps by perpetrator', () => {
  it("sends a pupil perpetrator through the school's behaviour procedure (9.5, 7.2)", () => {
    assert.deepEqual(kinds({ parties: [{ kind: 'pupil', role: 'alleged-perpetrator' }, { kind: 'pupil', role: 'target' }] }), [['pupil-behaviour', true]]);
  });

  it("sends a colleague perpetrator through the school's disciplinary procedure (9.5, 6.11, 6.15)", () => {
    assert.deepEqual(kinds({ parties: [{ kind: 'colleague', role: 'alleged-perpetrator' }] }), [['staff-disciplinary', true]]);
  });

  it('proposes the internal procedure from the case type when no perpetrator is named yet', () => {
    assert.deepEqual(kinds({ type: 'staff-conduct' }), [['staff-disciplinary', true]]);
    assert.deepEqual(kinds({ type: 'staff-breach' }), [['staff-disciplinary', true]]);
    assert.deepEqual(kinds({ type: 'pupil-breach' }), [['pupil-behaviour', true]]);
    assert.deepEqual(kinds({ type: 'cyber-bullying' }), []);
  });

  it('meets the victim and asks an adult perpetrator to remove the content (9.6)', () => {
    assert.deepEqual(kinds({ parties: [{ kind: 'parent-carer', role: 'alleged-perpetrator' }] }), [
      ['victim-meeting', true],
      ['removal-request', true],
    ]);
    assert.deepEqual(kinds({ parties: [{ kind: 'other-adult', role: 'alleged-perpetrator' }] }), [
      ['victim-meeting', true],
      ['removal-request', true],
    ]);
  });

  it("reports to the provider with the platform's reporting link once the adult refuses (9.7)", () => {
    const adult = [{ kind: 'parent-carer', role: 'alleged-perpetrator' }] as const;
    const removed = proposeSteps({ type: 'cyber-bullying', parties: adult, criteria: [], platform: 'instagram', removalResult: 'removed' }, platforms);
    assert.equal(removed.some((s) => s.kind === 'provider-report'), false);
    const refused = proposeSteps({ type: 'cyber-bullying', parties: adult, criteria: [], platform: 'Instagram', removalResult: 'refused' }, platforms);
    const report = refused.find((s) => s.kind === 'provider-report');
    assert.equal(report?.required, true);
    assert.equal(report?.link, 'https://report.example/instagram');
    assert.match(report!.basis, /refused/);
    const silent = proposeSteps({ type: 'cyber-bullying', parties: adult, criteria: [], platform: 'instagram', removalResult: 'no-response' }, platforms);
    assert.equal(silent.find((s) => s.kind === 'provider-report')?.required, true);
  });

  it('suggests, without requiring, a provider report when nobody knows who the perpetrator is', () => {
    const steps = proposeSteps({ type: 'cyber-bullying', parties: [{ kind: 'unknown', role: 'alleged-perpetrator' }], criteria: [], platform: 'a forum nobody lists', removalResult: null }, platforms);
    assert.deepEqual(steps.map((s) => [s.kind, s.required, s.link]), [['provider-report', false, null]]);
  });

  it('ignores targets and witnesses when choosing the procedure', () => {
    assert.deepEqual(kinds({ parties: [{ kind: 'colleague', role: 'witness' }, { kind: 'parent-carer', role: 'target' }] }), []);
  });
});

describe('the police step (9.8)', () => {
  it('is required as soon as any criterion is ticked, whoever the perpetrator is', () => {
    for (const criterion of ['threatening', 'abusive', 'sexist', 'sexual', 'hate-crime'] as const) {
      assert.deepEqual(kinds({ criteria: [criterion] }), [['police-referral', true]], criterion);
    }
    assert.deepEqual(kinds({ parties: [{ kind: 'pupil', role: 'alleged-perpetrator' }], criteria: ['hate-crime'] }), [
      ['pupil-behaviour', true],
      ['police-referral', true],
    ]);
  });

  it('is not proposed when no criterion is ticked', () => {
    assert.equal(kinds({ parties: [{ kind: 'other-adult', role: 'alleged-perpetrator' }] }).some(([k]) => k === 'police-referral'), false);
  });
});
