import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ConfigStore, parseConfig } from '../../../main/core/config/config-store';
import { makeTempDir } from '../../support/temp-dir';

describe('config', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, 'config.json');
  });
  afterEach(() => temp.cleanup());

  it('uses defaults when there is no file', async () => {
    const store = await ConfigStore.load(file);
    expect(store.value).toEqual({
      version: 1,
      network: 'devnet',
      manifest: null,
      netuid: null,
      runOwner: null,
      dataDir: null,
      limits: { uploadMbps: null, downloadMbps: null, diskGiB: null, cpuThreads: null },
      trainOn: 'cpu',
      costs: { pricePerKWh: null, currency: 'EUR', machineWatts: null, taoPrice: null },
      headless: { host: '127.0.0.1', port: 47800 },
      logging: { level: 'info', maxFileSizeMB: 10, maxFiles: 5 },
      guard: { enabled: true, selectedGpus: null, defaultTargetTempC: 83, limits: [], applyPowerCap: false },
      schedule: { enabled: false, windows: [], pauseOnBattery: true, pauseWhilePrograms: [], finishRound: true },
      desktop: { startAtLogin: false, updateChannel: 'latest', checkForUpdates: true },
      storage: null,
    });
  });

  it('holds the storage section without secrets: a secret field or a bad bucket is refused by name', () => {
    const storage = { endpoint: 'https://s3.us-east-1.amazonaws.com', region: 'us-east-1', bucket: 'my-peer', forcePathStyle: false, writeAccessKeyId: 'AKIAWRITE', readAccessKeyId: 'AKIAREAD', secretsIn: 'passphrase-file' };
    expect(parseConfig(JSON.stringify({ storage }), file).storage).toEqual(storage);
    expect(() => parseConfig(JSON.stringify({ storage: { ...storage, writeSecretAccessKey: 'x' } }), file)).toThrow(/storage: Unrecognized key: "writeSecretAccessKey"/);
    expect(() => parseConfig(JSON.stringify({ storage: { ...storage, bucket: 'My Bucket' } }), file)).toThrow(/storage\.bucket: a bucket name uses lowercase letters only/);
  });

  it('reads a config file written before Train on existed as training on the CPU, and keeps what it held', () => {
    const older = JSON.stringify({ version: 1, network: 'test', limits: { cpuThreads: 6 }, guard: { selectedGpus: [0, 1] } });
    const config = parseConfig(older, file);
    expect(config.trainOn).toBe('cpu');
    expect(config.network).toBe('test');
    expect(config.limits.cpuThreads).toBe(6);
    expect(config.guard.selectedGpus).toEqual([0, 1]);
    expect(parseConfig('{"trainOn":"gpu"}', file).trainOn).toBe('gpu');
  });

  it('reads the manifest file of a config written before manifests could be URLs, and takes a URL or an absolute path only', () => {
    expect(parseConfig('{"manifestFile":"/runs/run.json"}', file).manifest).toBe('/runs/run.json');
    expect(parseConfig('{"manifest":"https://example.org/run.json"}', file).manifest).toBe('https://example.org/run.json');
    expect(parseConfig('{"manifest":"s3://owner-bucket/runs/subnet-3/run.json"}', file).manifest).toBe('s3://owner-bucket/runs/subnet-3/run.json');
    expect(() => parseConfig('{"manifest":"run.json"}', file)).toThrow(/manifest: an absolute path or an http\(s\):\/\/ or s3:\/\/ URL/);
    expect(parseConfig('{"netuid":3}', file).netuid).toBe(3);
    expect(() => parseConfig('{"netuid":-1}', file)).toThrow(/netuid/);
  });

  it('names trainOn when it is neither cpu nor gpu', () => {
    expect(() => parseConfig('{"trainOn":"cuda"}', file)).toThrow(ConfigError);
    expect(() => parseConfig('{"trainOn":"cuda"}', file)).toThrow(/trainOn/);
  });

  it('fills defaults around the fields a person set', () => {
    expect(parseConfig('{"headless":{"port":9000}}', file).headless).toEqual({ host: '127.0.0.1', port: 9000 });
  });

  it.each([
    ['{"headless":{"port":"80"}}', 'headless.port'],
    ['{"headless":{"port":70000}}', 'headless.port'],
    ['{"logging":{"level":"loud"}}', 'logging.level'],
    ['{"network":"ftp://x"}', 'network'],
    ['{"version":2}', 'version'],
  ])('names the bad field in %s', (text, field) => {
    const error = (() => {
      try {
        parseConfig(text, file);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toContain(field);
    expect((error as ConfigError).message).toContain(`${file}: ${field}:`);
  });

  it('names an unknown (misspelt) field', () => {
    expect(() => parseConfig('{"netwrok":"devnet"}', file)).toThrow(/netwrok/);
  });

  it('reports broken JSON and leaves the file untouched', async () => {
    fs.writeFileSync(file, '{"network": "devnet",');
    await expect(ConfigStore.load(file)).rejects.toThrow(/not valid JSON/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"network": "devnet",');
  });

  it('writes updates atomically with 0600 and rejects an invalid update without writing', async () => {
    const store = await ConfigStore.load(file);
    await store.update((c) => ({ ...c, network: 'finney' }));
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).network).toBe('finney');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(temp.dir)).toEqual(['config.json']);

    await expect(store.update((c) => ({ ...c, headless: { ...c.headless, port: -5 } }))).rejects.toBeInstanceOf(ConfigError);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).headless.port).toBe(47800);
    expect(store.value.headless.port).toBe(47800);
  });
});
