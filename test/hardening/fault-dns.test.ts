// Issue 8, section 3: the upstream resolver goes down. The DNS filter answers names it has from
// its cache past their TTL (RFC 8767 serve-stale, TTL 30 s, within a one-day bound), answers
// SERVFAIL promptly for the rest, never hangs, and is itself again once the upstream returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LESSON_TIME, TEACHER_IP, startStack } from './support/fault-stack.ts';

/** generous: an answer, not a speed; the client timer is 1.8 s and the upstream timeout 2 s */
const NO_HANG_MS = 5_000;
const NAMES = 20;

function dnsEvents(events: Array<{ point: string; host: string }>, prefix: string): number {
  return events.filter((event) => event.point === 'dns' && event.host.startsWith(prefix)).length;
}

test('with the upstream silent, cached names are answered stale within the bound, others SERVFAIL promptly, and answers come fresh again once it returns', { timeout: 60_000 }, async (t) => {
  let clock = LESSON_TIME;
  const stack = await startStack({ now: () => clock });
  let faults = 0;
  let sent = 0;
  try {
    const known = Array.from({ length: NAMES }, (_, n) => `known${n}.example.org`);
    const fresh = await Promise.all(known.map((name) => stack.ask(name)));
    sent += NAMES;
    for (const reply of fresh) assert.equal(reply.ttl, 60);
    const addresses = fresh.map((reply) => reply.answers[0]);

    // Fault: the upstream stops answering, and the cached answers are two minutes past their TTL.
    stack.upstream.mode = 'silent';
    faults++;
    clock += 120_000;
    const stale = await Promise.all(known.map((name) => stack.ask(name)));
    sent += NAMES;
    stale.forEach((reply, n) => {
      assert.equal(reply.rcode, 0, known[n]);
      assert.equal(reply.answers[0], addresses[n], 'the answer the cache had');
      assert.equal(reply.ttl, 30, 'RFC 8767: a stale answer carries TTL 30');
      assert.ok(reply.ms < NO_HANG_MS, `answered in ${reply.ms.toFixed(0)} ms`);
    });

    const unknown = Array.from({ length: NAMES }, (_, n) => `unknown${n}.example.org`);
    const failed = await Promise.all(unknown.map((name) => stack.ask(name, { from: TEACHER_IP })));
    sent += NAMES;
    for (const reply of failed) {
      assert.equal(reply.rcode, 2, 'SERVFAIL');
      assert.ok(reply.ms < NO_HANG_MS, `answered in ${reply.ms.toFixed(0)} ms`);
    }
    // Asked again at once, they are not waited on a second time (RFC 9520).
    const again = await Promise.all(unknown.map((name) => stack.ask(name)));
    sent += NAMES;
    for (const reply of again) assert.equal(reply.rcode, 2);
    const slowestRepeat = Math.max(...again.map((reply) => reply.ms));

    const stats = stack.running.dns!.stats();
    assert.equal(stats.staleAnswers, NAMES);
    assert.ok(stats.failFast >= NAMES);
    const health = await stack.health();
    assert.equal(health.body.status, 'degraded');
    assert.ok(health.body.problems.some((line) => /upstream resolvers are failing since/.test(line)), health.body.problems.join('\n'));

    // Past the one-day bound a cached answer is no longer given.
    clock += 86_400_000;
    const expired = await stack.ask(known[0]!);
    sent += 1;
    assert.equal(expired.rcode, 2, 'a day past its TTL, an answer is not served stale');

    // The upstream returns: within the failure memory (5 s) every name is answered fresh.
    stack.upstream.mode = 'up';
    clock += 6_000;
    const back = await Promise.all([...known, ...unknown].map((name) => stack.ask(name)));
    sent += back.length;
    for (const reply of back) {
      assert.equal(reply.rcode, 0);
      assert.equal(reply.ttl, 60, 'fresh from the upstream');
    }
    assert.ok(!(await stack.health()).body.problems.some((line) => /upstream/.test(line)));

    await stack.running.log.flush();
    const events = stack.running.log.search({ limit: 10_000 }) as Array<{ point: string; host: string }>;
    const stored = dnsEvents(events, 'known') + dnsEvents(events, 'unknown');
    t.diagnostic(`faults injected: ${faults} (upstream silent for ${NAMES * 3 + 1} queries); stale answers ${stats.staleAnswers}, SERVFAIL ${stats.servfail}, answered at once after a failure ${stats.failFast} (slowest ${slowestRepeat.toFixed(0)} ms)`);
    t.diagnostic(`DNS decision events sent ${sent}, stored ${stored}, lost ${sent - stored}`);
    assert.equal(stored, sent);
  } finally {
    await stack.close();
  }
});

test('with the upstream answering SERVFAIL, cached names are answered stale at once and others get its SERVFAIL', { timeout: 30_000 }, async (t) => {
  let clock = LESSON_TIME;
  const stack = await startStack({ now: () => clock });
  try {
    const first = await stack.ask('cached.example.org');
    assert.equal(first.rcode, 0);
    stack.upstream.mode = 'servfail';
    clock += 61_000;
    const stale = await stack.ask('cached.example.org');
    assert.equal(stale.rcode, 0);
    assert.deepEqual(stale.answers, first.answers);
    assert.equal(stale.ttl, 30);
    // an upstream SERVFAIL is an answer: no client timer to wait out
    assert.ok(stale.ms < 1_500, `answered in ${stale.ms.toFixed(0)} ms`);
    const other = await stack.ask('other.example.org');
    assert.equal(other.rcode, 2);
    stack.upstream.mode = 'up';
    clock += 6_000;
    assert.equal((await stack.ask('other.example.org')).rcode, 0);
    const stored = (await stack.storedFor('cached.example.org')) + (await stack.storedFor('other.example.org'));
    t.diagnostic(`faults injected: 1 (upstream SERVFAIL); stale answers ${stack.running.dns!.stats().staleAnswers}; events sent 4, stored ${stored}, lost ${4 - stored}`);
    assert.equal(stored, 4);
  } finally {
    await stack.close();
  }
});
