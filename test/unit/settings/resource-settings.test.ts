import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

/** Settings' data folder and resource limits: a refusal names the field, and nothing is saved. */
describe('data folder and limits settings', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  const update = async (params: unknown) => {
    const { core, paths } = await makeTestCore(temp.dir);
    return { response: await core.dispatch({ kind: 'request', id: '1', method: 'settings.update', params }), paths };
  };

  it('saves a writable absolute folder and limits, and reads them back', async () => {
    const dir = path.join(temp.dir, 'elsewhere', 'tandem-data');
    const { response, paths } = await update({ dataDir: dir, limits: { uploadMbps: 50, downloadMbps: null, diskGiB: 200, cpuThreads: 4 } });
    expect(response).toMatchObject({ ok: true, result: { dataDir: dir, limits: { uploadMbps: 50, downloadMbps: null, diskGiB: 200, cpuThreads: 4 } } });
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(JSON.parse(fs.readFileSync(paths.configFile, 'utf8'))).toMatchObject({ dataDir: dir, limits: { diskGiB: 200 } });
  });

  it('names dataDir for a relative path and for a file in the way', async () => {
    const relative = await update({ dataDir: 'data/here' });
    expect(relative.response).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'dataDir', message: expect.stringMatching(/absolute/) })] } });
    const file = path.join(temp.dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const blocked = await update({ dataDir: path.join(file, 'sub') });
    expect(blocked.response).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [{ path: 'dataDir', message: 'a file is in the way of this folder' }] } });
    expect(fs.existsSync(blocked.paths.configFile)).toBe(false);
  });

  it('saves Train on (cpu by default), refuses anything else by name, and keeps the rest of the config', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    const get = await core.dispatch({ kind: 'request', id: '1', method: 'settings.get', params: {} });
    expect(get).toMatchObject({ ok: true, result: { trainOn: 'cpu' } });
    const saved = await core.dispatch({ kind: 'request', id: '2', method: 'settings.update', params: { trainOn: 'gpu' } });
    expect(saved).toMatchObject({ ok: true, result: { trainOn: 'gpu', network: 'devnet' } });
    expect(JSON.parse(fs.readFileSync(paths.configFile, 'utf8'))).toMatchObject({ trainOn: 'gpu' });
    const refused = await core.dispatch({ kind: 'request', id: '3', method: 'settings.update', params: { trainOn: 'tpu' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'trainOn' })] } });
    expect(JSON.parse(fs.readFileSync(paths.configFile, 'utf8'))).toMatchObject({ trainOn: 'gpu' });
  });

  it('names the limit that is out of range', async () => {
    const { response, paths } = await update({ limits: { uploadMbps: null, downloadMbps: -5, diskGiB: null, cpuThreads: 0 } });
    expect(response).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    const issues = (response as { error: { issues: Array<{ path: string }> } }).error.issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['limits.downloadMbps', 'limits.cpuThreads']));
    expect(fs.existsSync(paths.configFile)).toBe(false);
  });

  it('the disk cap is checked at Join: a devnet folder over it is refused with what to do, nothing started', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    await core.dispatch({ kind: 'request', id: '1', method: 'settings.update', params: { limits: { uploadMbps: null, downloadMbps: null, diskGiB: 1, cpuThreads: null } } });
    // A sparse 2 GiB file: counted at its size, costing no disk.
    const devnet = path.join(paths.dataDir, 'devnet');
    fs.mkdirSync(devnet, { recursive: true });
    fs.closeSync(fs.openSync(path.join(devnet, 'big.bin'), 'w'));
    fs.truncateSync(path.join(devnet, 'big.bin'), 2 * 2 ** 30);
    const joined = await core.dispatch({ kind: 'request', id: '2', method: 'round.join', params: {} });
    expect(joined).toMatchObject({ ok: false, error: { code: 'FAILED', message: expect.stringMatching(/holds 2\.0 GiB, over your disk cap of 1 GiB/) } });
    expect(fs.existsSync(path.join(devnet, 'chain.json'))).toBe(false);
  });
});
