import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../contract';
import { mergeHandlers } from '../../../main/core/core';
import type { Handlers } from '../../../main/core/dispatcher';
import type { CoreModule } from '../../../main/core/module';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

describe('core modules', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  const appOnly = async () => {
    // The app handlers of a real core, to build groups from.
    const { core } = await makeTestCore(temp.dir);
    return core;
  };

  it('refuses a method handled twice, a method not handled, and a handler for no method', async () => {
    await appOnly();
    const ping = (() => ({ at: 1 })) as Handlers['app.ping'];
    expect(() => mergeHandlers([['a', { 'app.ping': ping }], ['b', { 'app.ping': ping }]])).toThrow('app.ping is handled by both a and b');
    expect(() => mergeHandlers([['a', { 'app.ping': ping }]])).toThrow(/no handler for app\.info/);
  });

  it('starts and stops modules in order and lets them emit events', async () => {
    const calls: string[] = [];
    const module = (name: string): CoreModule => ({
      name,
      handlers: (ctx) => {
        calls.push(`${name}:handlers`);
        if (name === 'one') setTimeout(() => ctx.emit('log', { seq: 1, time: 1, level: 'info', source: name, message: 'from a module' }), 0);
        return {};
      },
      start: () => void calls.push(`${name}:start`),
      stop: () => void calls.push(`${name}:stop`),
    });
    const { core } = await makeTestCore(temp.dir, { modules: [module('one'), module('two')] });
    const events: EventEnvelope[] = [];
    core.subscribe((e) => events.push(e));
    await core.start();
    await new Promise((r) => setTimeout(r, 10));
    await core.stop();
    expect(calls).toEqual(['one:handlers', 'two:handlers', 'one:start', 'two:start', 'two:stop', 'one:stop']);
    expect(events.some((e) => e.event === 'log' && (e.data as { message: string }).message === 'from a module')).toBe(true);
  });
});
