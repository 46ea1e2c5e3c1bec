// Sign-in throttling: a few free failures, then each failure doubles the wait, per username and
// per client address; a right password clears the username's count. Time is a number the test moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackoffThrottle, SignInThrottle } from '../../src/auth/index.ts';

test('after the free failures each further failure doubles the wait, up to the cap', () => {
  const throttle = new BackoffThrottle({ freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 3_600_000 });
  let now = 0;
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    throttle.fail('ada', now);
    waits.push(throttle.retryAfter('ada', now));
    now += 10_000;
  }
  assert.deepEqual(waits, [0, 0, 0, 1000, 2000, 4000, 8000]);
});

test('the wait runs out with time, and old failures are forgotten', () => {
  const throttle = new BackoffThrottle({ freeFailures: 1, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 60_000 });
  throttle.fail('ada', 0);
  assert.equal(throttle.retryAfter('ada', 0), 0, 'the free failure');
  throttle.fail('ada', 0);
  assert.equal(throttle.retryAfter('ada', 0), 1000);
  assert.equal(throttle.retryAfter('ada', 600), 400);
  assert.equal(throttle.retryAfter('ada', 1000), 0);
  throttle.fail('ada', 1000);
  assert.equal(throttle.retryAfter('ada', 1000), 2000);
  // a minute after the last failure the count starts again: the next failure is free
  assert.equal(throttle.retryAfter('ada', 61_001), 0);
  throttle.fail('ada', 61_001);
  assert.equal(throttle.retryAfter('ada', 61_001), 0);
});

test('sign-in failures count per username across addresses and per address across usernames', () => {
  const throttle = new SignInThrottle({
    perUsername: { freeFailures: 1, baseDelayMs: 1000 },
    perAddress: { freeFailures: 3, baseDelayMs: 1000 },
  });
  throttle.fail('ada', '192.0.2.1', 0);
  throttle.fail('ada', '192.0.2.2', 0);
  assert.equal(throttle.retryAfter('ada', '192.0.2.3', 0), 1000, 'one account guessed from many addresses');
  assert.equal(throttle.retryAfter('ben', '192.0.2.3', 0), 0);
  for (const name of ['ben', 'cy', 'dot', 'eve']) throttle.fail(name, '192.0.2.9', 0);
  assert.equal(throttle.retryAfter('fay', '192.0.2.9', 0), 1000, 'many accounts guessed from one address');
  assert.equal(throttle.retryAfter('fay', '192.0.2.10', 0), 0);
});

test('a right password clears the username count but not the address count', () => {
  const throttle = new SignInThrottle({ perUsername: { freeFailures: 0, baseDelayMs: 1000 }, perAddress: { freeFailures: 0, baseDelayMs: 1000 } });
  throttle.fail('ada', '192.0.2.1', 0);
  throttle.succeed('ada');
  assert.equal(throttle.retryAfter('ada', '192.0.2.2', 0), 0);
  assert.equal(throttle.retryAfter('ada', '192.0.2.1', 0), 1000);
});

test('the memory of failures is bounded: the longest-ago keys are dropped first', () => {
  const throttle = new BackoffThrottle({ freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 1000, forgetAfterMs: 3_600_000 }, 3);
  for (const key of ['a', 'b', 'c', 'd']) throttle.fail(key, 0);
  assert.equal(throttle.retryAfter('a', 0), 0);
  assert.equal(throttle.retryAfter('d', 0), 1000);
});
