import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../main/shells/cli/program';
import { runStorageClear, runStorageSet, runStorageShow, runStorageTest, type StorageCliIo } from '../../../main/shells/cli/commands/storage';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { localKeyPairs } from '../../support/storage-key-pairs';
import { makeTempDir } from '../../support/temp-dir';

const PASSPHRASE = 'cli storage passphrase';

describe('tandem storage', () => {
  let s3: LocalS3;
  let temp: ReturnType<typeof makeTempDir>;
  let keys: ReturnType<typeof localKeyPairs>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    s3 = await startLocalS3();
    temp = makeTempDir();
    keys = localKeyPairs(s3);
    env = { TANDEM_HOME: temp.dir, W_SECRET: keys.write.secretAccessKey, R_SECRET: keys.read.secretAccessKey, STORAGE_PASS: PASSPHRASE };
  });
  afterAll(async () => {
    await s3?.stop();
    temp?.cleanup();
  });

  /** The CLI's output, with typed answers (a terminal) when `typed` is given. */
  const cli = (typed?: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: StorageCliIo = {
      env,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      check: { speed: { streams: 1, bytesPerStream: 64 * 1024, latencySamples: 1 } },
      ...(typed ? { prompt: async () => typed.shift() ?? '' } : {}),
    };
    return { io, out: () => out.join(''), err: () => err.join('') };
  };
  const flags = () => ({ endpoint: s3.endpoint, bucket: s3.bucket, writeKeyId: keys.write.accessKeyId, readKeyId: keys.read.accessKeyId });

  it('is listed in --help with its four commands', () => {
    const storage = buildProgram().commands.find((c) => c.name() === 'storage');
    expect(storage?.commands.map((c) => c.name())).toEqual(['set', 'show', 'test', 'clear']);
    const set = storage?.commands.find((c) => c.name() === 'set');
    expect(set?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--r2-account', '--aws-region', '--endpoint', '--bucket', '--write-key-id', '--read-key-id', '--write-secret-env', '--read-secret-env', '--passphrase-env']));
  });

  it('show: explains what is missing when nothing is set', async () => {
    const t = cli();
    expect(await runStorageShow(t.io)).toBe(0);
    expect(t.out()).toMatch(/No storage set up yet/);
    expect(t.out()).toContain('tandem storage set --r2-account');
  });

  it('set: refuses bad flags by name before asking for any secret, and writes nothing', async () => {
    const none = cli();
    expect(await runStorageSet({ bucket: 'b-1' }, none.io)).toBe(2);
    expect(none.err()).toMatch(/choose exactly one of --r2-account <id>, --aws-region <region> or --endpoint <url>/);
    const bad = cli([]);
    expect(await runStorageSet({ r2Account: 'xyz', bucket: 'My_Bucket', writeKeyId: 'SAMEKEY', readKeyId: 'SAMEKEY' }, bad.io)).toBe(2);
    expect(bad.err()).toMatch(/--r2-account: a Cloudflare account id is 32 hexadecimal characters/);
    expect(bad.err()).toMatch(/--bucket: a bucket name uses lowercase letters only/);
    expect(bad.err()).toMatch(/--read-key-id: the read key must be a different key from the write key/);
    const noTerminal = cli();
    expect(await runStorageSet(flags(), noTerminal.io)).toBe(2);
    expect(noTerminal.err()).toMatch(/no terminal to type the write secret access key: pass it through an environment variable/);
    const emptyVar = cli();
    expect(await runStorageSet({ ...flags(), writeSecretEnv: 'UNSET_VARIABLE' }, emptyVar.io)).toBe(2);
    expect(emptyVar.err()).toMatch(/environment variable UNSET_VARIABLE is empty or not set/);
    expect(fs.existsSync(path.join(temp.dir, 'config.json'))).toBe(false);
  });

  it('set (typed, no echo) then show, test, and clear, under TANDEM_HOME', { timeout: 60_000 }, async () => {
    const typed = cli([keys.write.secretAccessKey, keys.read.secretAccessKey, PASSPHRASE, 'a different one']);
    expect(await runStorageSet(flags(), typed.io)).toBe(2);
    expect(typed.err()).toMatch(/the two passphrases differ; nothing was changed/);

    const set = cli();
    expect(await runStorageSet({ ...flags(), writeSecretEnv: 'W_SECRET', readSecretEnv: 'R_SECRET', passphraseEnv: 'STORAGE_PASS' }, set.io)).toBe(0);
    expect(set.out()).toContain(`Saved bucket "${s3.bucket}" at ${new URL(s3.endpoint).host}.`);
    expect(JSON.parse(fs.readFileSync(path.join(temp.dir, 'config.json'), 'utf8')).storage).toMatchObject({ bucket: s3.bucket, writeAccessKeyId: keys.write.accessKeyId });
    expect(fs.existsSync(path.join(temp.dir, 'storage-secrets.json'))).toBe(true);

    const show = cli();
    expect(await runStorageShow(show.io)).toBe(0);
    expect(show.out()).toMatch(new RegExp(`write key\\s+${keys.write.accessKeyId} \\(secret set; never leaves this machine\\)`));
    expect(show.out()).toMatch(new RegExp(`read key\\s+${keys.read.accessKeyId} \\(secret set; published on chain`));
    expect(show.out()).toContain('sealed with the storage passphrase');
    for (const secret of [keys.write.secretAccessKey, keys.read.secretAccessKey]) expect(show.out() + set.out()).not.toContain(secret);

    const wrong = cli(['not the passphrase']);
    expect(await runStorageTest({}, wrong.io)).toBe(2);
    expect(wrong.err()).toMatch(/Wrong storage passphrase/);

    const tested = cli();
    const code = await runStorageTest({ passphraseEnv: 'STORAGE_PASS' }, tested.io);
    // The local server lets any key write, so the read key can: a warning (exit 1), not a failure.
    expect(tested.out()).toMatch(/^\s+pass\s+Write key uploads a test object\s+\d+ ms/m);
    expect(tested.out()).toMatch(/Latency [\d.]+ ms; upload [\d.]+ Mb\/s; download [\d.]+ Mb\/s/);
    if (tested.out().includes('WARNING: The read key can write')) expect(code).toBe(1);
    else expect(code).toBe(0);

    const clear = cli();
    expect(await runStorageClear(clear.io)).toBe(0);
    expect(clear.out()).toMatch(new RegExp(`^Removed bucket "${s3.bucket}" at 127\\.0\\.0\\.1:\\d+ and both key pairs`));
    expect(fs.existsSync(path.join(temp.dir, 'storage-secrets.json'))).toBe(false);
    const after = cli();
    expect(await runStorageTest({}, after.io)).toBe(2);
    expect(after.err()).toMatch(/No storage is set up yet/);
  });
});
