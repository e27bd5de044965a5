import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../../contract';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

describe('TandemCore', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    temp.cleanup();
  });

  it('streams a state event with the new uptime every second', async () => {
    let now = 1_000_000;
    const { core } = await makeTestCore(temp.dir, { now: () => now });
    const events: EventEnvelope[] = [];
    core.subscribe((e) => events.push(e));
    await core.start();
    now += 1000;
    vi.advanceTimersByTime(1000);
    now += 1000;
    vi.advanceTimersByTime(1000);
    const uptimes = events.filter((e) => e.event === 'state').map((e) => (e.data as { core: { uptimeSeconds: number } }).core.uptimeSeconds);
    expect(uptimes).toEqual([1, 2]);
    await core.stop();
  });

  it('forwards log lines as log events', async () => {
    const { core, logger } = await makeTestCore(temp.dir);
    const events: EventEnvelope[] = [];
    core.subscribe((e) => events.push(e));
    await core.start();
    logger.warn('disk almost full');
    expect(events.some((e) => e.event === 'log' && (e.data as { message: string }).message === 'disk almost full')).toBe(true);
    await core.stop();
  });

  it('keeps serving other listeners when one throws', async () => {
    let now = 0;
    const { core, logRing } = await makeTestCore(temp.dir, { now: () => now });
    const seen: string[] = [];
    core.subscribe(() => {
      throw new Error('broken bridge');
    });
    core.subscribe((e) => seen.push(e.event));
    await core.start();
    for (let i = 1; i <= 3; i++) {
      now = i * 1000;
      vi.advanceTimersByTime(1000);
    }
    await new Promise((r) => setImmediate(r));
    expect(seen.filter((e) => e === 'state')).toHaveLength(3);
    // Reported once, not once per event (which would feed itself through log events).
    expect(logRing.tail(100).filter((l) => l.message.startsWith('event listener threw'))).toHaveLength(1);
    await core.stop();
  });

  it('persists settings and reflects the network in state', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    await core.start();
    const response = await core.dispatch({ kind: 'request', id: '1', method: 'settings.update', params: { network: 'wss://node.example:443', logLevel: 'debug' } });
    expect(response).toMatchObject({ ok: true, result: { network: 'wss://node.example:443', logLevel: 'debug' } });
    expect(core.getState().network.target).toBe('wss://node.example:443');
    const onDisk = JSON.parse(fs.readFileSync(paths.configFile, 'utf8'));
    expect(onDisk).toMatchObject({ network: 'wss://node.example:443', logging: { level: 'debug' } });
    expect(fs.statSync(paths.configFile).mode & 0o777).toBe(0o600);
    await core.stop();
  });

  it('names the run on a network with it, and forgets it when another network is chosen without one', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    await core.start();
    const owner = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
    const request = (params: unknown) => core.dispatch({ kind: 'request', id: '1', method: 'settings.update', params });
    expect(await request({ network: 'wss://node.example:443', run: { manifest: null, netuid: 3, owner } })).toMatchObject({ ok: true, result: { run: { manifest: null, netuid: 3, owner } } });
    expect(JSON.parse(fs.readFileSync(paths.configFile, 'utf8'))).toMatchObject({ manifest: null, netuid: 3, runOwner: owner });
    // Another setting leaves the run as it is.
    expect(await request({ logLevel: 'debug' })).toMatchObject({ ok: true, result: { run: { netuid: 3 } } });
    expect(await request({ run: { manifest: 's3://owner-bucket/runs/subnet-3/run.json', netuid: 3, owner } })).toMatchObject({ ok: true, result: { run: { manifest: 's3://owner-bucket/runs/subnet-3/run.json' } } });
    // A relative path, a bad owner: refused, naming the field, nothing changed.
    expect(await request({ run: { manifest: 'run.json', netuid: null, owner: null } })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'run.manifest' })] } });
    expect(await request({ run: { manifest: null, netuid: 3, owner: 'alice' } })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'run.owner' })] } });
    expect(await request({ network: 'finney' })).toMatchObject({ ok: true, result: { network: 'finney', run: { manifest: null, netuid: null, owner: null } } });
    await core.stop();
  });

  it('refuses a bad setting and changes nothing', async () => {
    const { core, paths } = await makeTestCore(temp.dir);
    const response = await core.dispatch({ kind: 'request', id: '1', method: 'settings.update', params: { network: 'http://not-a-websocket' } });
    expect(response).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'network' })] } });
    expect(fs.existsSync(paths.configFile)).toBe(false);
    expect(core.getState().network.target).toBe('devnet');
  });
});
