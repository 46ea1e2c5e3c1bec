// TLS inspection switched on in the configuration: devices that trust the school CA see pages
// decided on their full HTTPS URL; without a CA, start refuses with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { configSchema } from '../../src/config/index.ts';
import { startHedgerow } from '../../src/server/index.ts';
import { caCommand } from '../../src/proxy/index.ts';
import { Writable } from 'node:stream';

const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const config = (dataDir: string) =>
  configSchema.parse({ dataDir, proxy: { port: 0 }, dns: { enabled: false }, http: { port: 0 }, networks: [{ cidr: '127.0.0.0/8', role: 'pupil' }], inspection: { enabled: true }, watchPolicy: false });

test('start refuses TLS inspection without a school CA and says how to make one', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-noca-'));
  await assert.rejects(startHedgerow(config(dataDir), { log: () => undefined }), /no school CA .*hedgerow ca create/);
});

test('with the school CA, an executable download over HTTPS is blocked by its path, seen only because the connection is inspected', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-ca-'));
  assert.equal(await caCommand(['create'], { stdout: sink(), stderr: sink(), env: { HEDGEROW_DATA: dataDir } }), 0);
  const running = await startHedgerow(config(dataDir), { log: () => undefined });
  try {
    // curl runs as its own process, asynchronously: the proxy lives in this one.
    const { stdout: out } = await promisify(execFile)(
      'curl',
      ['-s', '-o', '-', '-w', '\n%{http_code}', '--proxy', `http://127.0.0.1:${running.proxy!.address.port}`, '--cacert', join(dataDir, 'ca', 'ca-cert.pem'), '-H', 'Accept: text/html', 'https://localhost/tools/setup.exe'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    const status = out.slice(out.lastIndexOf('\n') + 1);
    assert.equal(status, '403', out);
    assert.match(out, /Consult ICT before downloading software/);
    await running.log.flush();
    const [event] = (await running.log.search({ host: 'localhost' })).filter((e) => e.url !== null);
    assert.equal(event!.url, 'https://localhost/tools/setup.exe');
    assert.equal(event!.rule, 'council-software-downloads');
  } finally {
    await running.close();
  }
});
