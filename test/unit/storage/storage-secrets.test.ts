import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope, ResponseEnvelope } from '../../../contract';
import type { TandemCore } from '../../../main/core/core';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { localKeyPairs } from '../../support/storage-key-pairs';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

const PASSPHRASE = 'storage passphrase for the secrets test';

/**
 * Storage secrets go one way: from the UI into the core. Whatever the core
 * sends back (responses, events, state, the log tail), writes to its log
 * file, or puts in a support bundle must never contain them.
 */
describe('storage secrets never leave the core', () => {
  let s3: LocalS3;
  let temp: ReturnType<typeof makeTempDir>;
  let core: TandemCore;
  let flushLogs: () => Promise<void>;
  let logDir: string;
  let configFile: string;
  let secrets: string[];
  const sent: Array<ResponseEnvelope | EventEnvelope> = [];
  let id = 0;
  const call = async (method: string, params: unknown) => {
    const response = await core.dispatch({ kind: 'request', id: `r${id++}`, method, params });
    sent.push(response);
    return response;
  };

  beforeAll(async () => {
    s3 = await startLocalS3();
    temp = makeTempDir();
    const made = await makeTestCore(temp.dir, { logFile: true });
    core = made.core;
    logDir = made.paths.logDir;
    configFile = made.paths.configFile;
    flushLogs = () => new Promise((resolve) => made.logger.flush(() => resolve()));
    core.subscribe((event) => sent.push(event));
    await core.start();
  });

  afterAll(async () => {
    await core?.stop();
    await s3?.stop();
    temp?.cleanup();
  });

  it('through set, get, a refused set, test, unlock, state, logs and a support bundle', { timeout: 60_000 }, async () => {
    const keys = localKeyPairs(s3);
    secrets = [keys.write.secretAccessKey, keys.read.secretAccessKey, PASSPHRASE];
    const setup = { endpoint: { kind: 's3', url: s3.endpoint }, bucket: s3.bucket, write: keys.write, read: keys.read, passphrase: PASSPHRASE };

    const refused = await call('storage.set', { ...setup, bucket: 'Not A Bucket' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [{ path: 'bucket' }] } });
    const saved = await call('storage.set', setup);
    expect(saved).toMatchObject({ ok: true, result: { write: { accessKeyId: keys.write.accessKeyId, secretSet: true }, read: { accessKeyId: keys.read.accessKeyId, secretSet: true }, locked: false } });
    expect(await call('storage.get', {})).toMatchObject({ ok: true, result: { location: { bucket: s3.bucket } } });
    const tested = await call('storage.test', {});
    expect(tested).toMatchObject({ ok: true, result: { ok: true } });
    expect(await call('storage.unlock', { passphrase: 'a wrong passphrase' })).toMatchObject({ ok: false, error: { code: 'FAILED', message: expect.stringMatching(/Wrong storage passphrase/) } });
    expect(await call('storage.unlock', { passphrase: PASSPHRASE })).toMatchObject({ ok: true, result: { locked: false } });
    await call('state.get', {});
    await call('logs.tail', { limit: 5000 });
    const bundle = await call('support.bundle', {});
    expect(bundle.ok).toBe(true);

    // The capture saw the storage traffic (so its silence on secrets means something).
    const everything = JSON.stringify(sent);
    expect(everything).toContain(keys.read.accessKeyId);
    expect(sent.some((e) => e.kind === 'event' && e.event === 'storage.status')).toBe(true);
    expect(sent.some((e) => e.kind === 'event' && e.event === 'storage.testProgress')).toBe(true);
    for (const secret of secrets) expect(everything, 'sent to the UI').not.toContain(secret);

    const bundleText = (bundle as { result: { text: string } }).result.text;
    expect(bundleText).toContain('storage credentials saved');
    for (const secret of secrets) expect(bundleText, 'in the support bundle').not.toContain(secret);

    await flushLogs();
    const logs = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('');
    expect(logs).toContain('storage tested');
    for (const secret of secrets) expect(logs, 'in the log file').not.toContain(secret);

    const config = fs.readFileSync(configFile, 'utf8');
    expect(config).toContain(keys.write.accessKeyId);
    for (const secret of secrets) expect(config, 'in the config file').not.toContain(secret);
  });
});
