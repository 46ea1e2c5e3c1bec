import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedResolver } from '../../src/proxy/index.ts';

function counting(answers: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    await new Promise((r) => setTimeout(r, 5));
    const found = answers[host];
    if (!found) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { calls, resolve };
}

test('a name is looked up once while its answer is fresh, and again after it expires', async () => {
  let clock = 1_000;
  const { calls, resolve } = counting({ 'allowed.example': ['192.0.2.10'] });
  const cached = cachedResolver(resolve, { ttlMs: 30_000, now: () => clock });
  assert.deepEqual(await cached('allowed.example'), ['192.0.2.10']);
  assert.deepEqual(await cached('ALLOWED.example'), ['192.0.2.10']);
  assert.equal(calls.length, 1);
  clock += 30_001;
  await cached('allowed.example');
  assert.equal(calls.length, 2);
});

test('lookups of one name at the same moment share one query', async () => {
  const { calls, resolve } = counting({ 'allowed.example': ['192.0.2.10'] });
  const cached = cachedResolver(resolve);
  const answers = await Promise.all([cached('allowed.example'), cached('allowed.example'), cached('allowed.example')]);
  assert.equal(calls.length, 1);
  assert.deepEqual(answers, [['192.0.2.10'], ['192.0.2.10'], ['192.0.2.10']]);
});

test('a failed lookup is not remembered', async () => {
  const { calls, resolve } = counting({});
  const cached = cachedResolver(resolve);
  await assert.rejects(cached('missing.example'), /ENOTFOUND/);
  await assert.rejects(cached('missing.example'), /ENOTFOUND/);
  assert.equal(calls.length, 2);
});

test('the cache holds at most its limit, dropping the oldest name first', async () => {
  const { calls, resolve } = counting({ 'a.example': ['192.0.2.1'], 'b.example': ['192.0.2.2'], 'c.example': ['192.0.2.3'] });
  const cached = cachedResolver(resolve, { maxEntries: 2 });
  await cached('a.example');
  await cached('b.example');
  await cached('c.example');
  await cached('b.example');
  assert.equal(calls.length, 3);
  await cached('a.example');
  assert.equal(calls.length, 4);
});
