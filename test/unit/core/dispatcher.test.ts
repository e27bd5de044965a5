import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseEnvelope } from '../../../contract';
import { createDispatcher, type Handlers } from '../../../main/core/dispatcher';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

describe('dispatcher', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it.each([
    ['a string', 'hello', 'BAD_MESSAGE'],
    ['null', null, 'BAD_MESSAGE'],
    ['an array', [1, 2], 'BAD_MESSAGE'],
    ['a missing id', { kind: 'request', method: 'app.ping' }, 'BAD_MESSAGE'],
    ['a wrong kind', { kind: 'event', id: 'a', method: 'app.ping' }, 'BAD_MESSAGE'],
    ['an extra field', { kind: 'request', id: 'a', method: 'app.ping', evil: true }, 'BAD_MESSAGE'],
    ['an unknown method', { kind: 'request', id: 'a', method: 'wallet.exportSecrets' }, 'UNKNOWN_METHOD'],
    ['a prototype key as method', { kind: 'request', id: 'a', method: 'constructor' }, 'UNKNOWN_METHOD'],
    ['bad params', { kind: 'request', id: 'a', method: 'logs.tail', params: { limit: -1 } }, 'INVALID_PARAMS'],
    ['unexpected params', { kind: 'request', id: 'a', method: 'state.get', params: { x: 1 } }, 'INVALID_PARAMS'],
  ])('answers %s with a typed error and keeps serving', async (_label, raw, code) => {
    const { core } = await makeTestCore(temp.dir);
    const response = await core.dispatch(raw);
    expect(ResponseEnvelope.parse(response)).toMatchObject({ ok: false, error: { code } });

    const next = await core.dispatch({ kind: 'request', id: 'after', method: 'state.get' });
    expect(next).toMatchObject({ id: 'after', ok: true, result: { core: { version: '9.9.9-test' } } });
  });

  it('echoes the id of a broken envelope when it can', async () => {
    const { core } = await makeTestCore(temp.dir);
    expect(await core.dispatch({ id: 'r7', kind: 'request' })).toMatchObject({ id: 'r7', ok: false });
  });

  it('names the bad field in INVALID_PARAMS', async () => {
    const { core } = await makeTestCore(temp.dir);
    const response = await core.dispatch({ kind: 'request', id: 'a', method: 'settings.update', params: { network: 'moon' } });
    expect(response).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', issues: [expect.objectContaining({ path: 'network' })] } });
  });

  it('turns a throwing handler into INTERNAL and a result off the contract into INTERNAL', async () => {
    const { core } = await makeTestCore(temp.dir);
    const good = core.dispatch;
    const handlers = {
      'app.ping': () => {
        throw new Error('boom');
      },
      'state.get': () => ({ not: 'a state' }),
    } as unknown as Handlers;
    const internalErrors: string[] = [];
    const dispatch = createDispatcher(handlers, (_e, method) => internalErrors.push(method));
    expect(await dispatch({ kind: 'request', id: '1', method: 'app.ping' })).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: 'app.ping failed: boom' } });
    expect(await dispatch({ kind: 'request', id: '2', method: 'state.get' })).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(internalErrors).toEqual(['app.ping', 'state.get']);
    expect(await good({ kind: 'request', id: '3', method: 'app.ping', params: { nonce: 'n' } })).toMatchObject({ ok: true, result: { nonce: 'n' } });
  });
});
