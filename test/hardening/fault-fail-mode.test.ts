// Issue 8, section 3: the engine cannot decide (no catalogue at start, or `decide` throwing).
// Each role's fail mode from the policy applies at the proxy, the DNS filter and the block page:
// closed for pupils, open for staff in the reference policy; health and the decision log say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failModeFor, type PolicyEngine } from '../../src/engine/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { LESSON_TIME, PUPIL_IP, TEACHER_IP, startStack, type Stack } from './support/fault-stack.ts';

/** Every event the log holds for the hosts of a run, by rule. */
function rulesOf(events: Array<{ host: string; rule: string }>, hostPart: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) if (event.host.includes(hostPart)) counts[event.rule] = (counts[event.rule] ?? 0) + 1;
  return counts;
}

function blockPageFor(stack: Stack, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: stack.running.http.port, path: '/', localAddress: PUPIL_IP, headers: { host } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test("the reference policy's fail modes: closed for pupils and guests (sameAs pupil), open for staff, closed for a role it forgot", () => {
  const { policy } = loadPolicy(referencePolicyPath());
  assert.ok(policy);
  assert.equal(failModeFor(policy, 'pupil'), 'closed');
  assert.equal(failModeFor(policy, 'guest'), 'closed');
  assert.equal(failModeFor(policy, 'teacher'), 'open');
  assert.equal(failModeFor(policy, 'governor'), 'open');
  assert.equal(failModeFor({ ...policy, failMode: {} }, 'teacher'), 'closed');
  assert.equal(failModeFor(policy, 'no-such-role'), 'closed');
});

test('with the catalogue unreadable at start, the proxy and the DNS filter apply each role fail mode, health and the log say why, and a reload ends it', { timeout: 60_000 }, async (t) => {
  // Fault: no catalogue snapshot, and the one imported list damaged, so nothing can be built.
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-fault-nocat-'));
  mkdirSync(join(dataDir, 'lists'), { recursive: true });
  writeFileSync(join(dataDir, 'lists', 'ut1.tsv.gz'), Buffer.from('this is not gzip, the disk damaged it'));
  const stack = await startStack({ dataDir });
  const faults = 1;
  try {
    assert.ok(stack.lines.some((line) => /catalogue cannot be loaded: list `ut1`.*pupil closed.*teacher open/.test(line)), stack.lines.join('\n'));

    // Pupils: everything blocked, with the reason on the block page. Staff: let through.
    const pupil = await stack.get(stack.originUrl('allowed'));
    assert.equal(pupil.status, 403);
    assert.match(pupil.body, /cannot be checked against the school(&#39;|')s policy just now/);
    assert.match(pupil.body, /fail mode for the Pupil role is closed/);
    const teacher = await stack.get(stack.originUrl('allowed'), { from: TEACHER_IP });
    assert.equal(teacher.status, 200);
    assert.equal(teacher.body, 'origin saw /');

    const pupilDns = await stack.ask('www.example.org');
    assert.deepEqual(pupilDns.answers, ['A 127.0.0.1'], 'a pupil is sent to the block page');
    const teacherDns = await stack.ask('www.example.org', { from: TEACHER_IP });
    assert.equal(teacherDns.rcode, 0);
    assert.match(teacherDns.answers[0] ?? '', /^A 192\.0\.2\./, 'a teacher gets the real answer');
    // The browser DNS sent to the block address sees why.
    const page = await blockPageFor(stack, 'www.example.org');
    assert.equal(page.status, 403);
    assert.match(page.body, /the catalogue cannot be loaded/);

    const health = await stack.health();
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    assert.equal(health.body.failMode.active, true);
    assert.equal(health.body.failMode.since, LESSON_TIME);
    assert.match(health.body.failMode.why ?? '', /the catalogue cannot be loaded: list `ut1`/);
    assert.equal(health.body.failMode.roles.pupil, 'closed');
    assert.equal(health.body.failMode.roles.teacher, 'open');
    assert.ok(health.body.problems.some((line) => /fail modes apply since/.test(line)));

    await stack.running.log.flush();
    const events = stack.running.log.search({ limit: 1000 }) as Array<{ host: string; rule: string; warnReason: string | null; action: string }>;
    const marked = events.filter((event) => event.rule === 'fail-closed' || event.rule === 'fail-open');
    assert.deepEqual(rulesOf(marked, 'example'), { 'fail-closed': 3, 'fail-open': 2 });
    for (const event of marked) assert.match(event.warnReason ?? '', /the catalogue cannot be loaded/);

    // The list is imported again (here: removed) and the reload builds the catalogue.
    rmSync(join(dataDir, 'lists', 'ut1.tsv.gz'));
    assert.equal(stack.running.reload().ok, true);
    assert.equal((await stack.health()).body.failMode.active, false);
    const after = await stack.get(stack.originUrl('allowed'));
    assert.equal(after.status, 200, 'pupils are decided by the policy again');
    const sent = 6;
    await stack.running.log.flush();
    const stored = (stack.running.log.search({ limit: 1000 }) as Array<{ host: string }>).filter((event) => event.host.includes('example')).length;
    t.diagnostic(`faults injected: ${faults}; events sent ${sent}, stored ${stored}, lost ${sent - stored}`);
    assert.equal(stored, sent);
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('when decide throws, every request gets its role fail mode, nothing crashes, and health shows it until decisions work again', { timeout: 60_000 }, async (t) => {
  let clock = LESSON_TIME;
  const stack = await startStack({ now: () => clock });
  try {
    const engine = stack.running.engine as PolicyEngine & { decide: PolicyEngine['decide'] };
    // Fault: the engine throws on every decision, as a bug on some input would.
    let thrown = 0;
    engine.decide = () => {
      thrown++;
      throw new Error('injected fault in decide');
    };
    const rounds = 20;
    const replies = await Promise.all(
      Array.from({ length: rounds }, (_, n) =>
        Promise.all([
          stack.get(stack.originUrl(`fm${n}`)),
          stack.get(stack.originUrl(`fm${n}`), { from: TEACHER_IP }),
          stack.ask(`fm${n}.example.org`),
          stack.ask(`fm${n}.example.org`, { from: TEACHER_IP }),
        ]),
      ),
    );
    for (const [pupil, teacher, pupilDns, teacherDns] of replies) {
      assert.equal(pupil.status, 403);
      assert.match(pupil.body, /injected fault in decide/);
      assert.equal(teacher.status, 200);
      assert.deepEqual(pupilDns.answers, ['A 127.0.0.1']);
      assert.match(teacherDns.answers[0] ?? '', /^A 192\.0\.2\./);
    }
    const health = await stack.health();
    assert.equal(health.status, 503);
    assert.equal(health.body.failMode.active, true);
    assert.match(health.body.failMode.why ?? '', /the decision failed: injected fault in decide/);
    assert.deepEqual(health.body.failMode.decisions, { closed: rounds * 2, open: rounds * 2 });
    assert.equal(stack.lines.filter((line) => /decisions are failing/.test(line)).length, 1, 'one line per run of failures');

    // The engine decides again: requests follow the policy, and health clears after the hold.
    delete (engine as Partial<typeof engine>).decide;
    assert.equal((await stack.get(stack.originUrl('recovered'))).status, 200);
    clock += 61_000;
    const cleared = await stack.health();
    assert.equal(cleared.body.failMode.active, false);
    assert.equal(cleared.status, 200);

    await stack.running.log.flush();
    const events = stack.running.log.search({ limit: 1000 }) as Array<{ host: string; rule: string }>;
    const counts = rulesOf(events, 'fm');
    const sent = rounds * 4;
    const stored = (counts['fail-closed'] ?? 0) + (counts['fail-open'] ?? 0);
    t.diagnostic(`faults injected: ${thrown} throwing decisions; fail-mode events sent ${sent}, stored ${stored}, lost ${sent - stored}`);
    assert.deepEqual(counts, { 'fail-closed': rounds * 2, 'fail-open': rounds * 2 });
  } finally {
    await stack.close();
  }
});
