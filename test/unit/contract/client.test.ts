import { describe, expect, it, vi } from 'vitest';
import { ContractClient, ContractError, type MessageTransport, type RequestEnvelope } from '../../../contract';

function fakeTransport() {
  const sent: RequestEnvelope[] = [];
  let receive: (m: unknown) => void = () => {};
  const transport: MessageTransport = {
    send: (e) => void sent.push(e),
    setReceiver: (r) => void (receive = r),
  };
  return { transport, sent, deliver: (m: unknown) => receive(m) };
}

const validState = {
  core: { version: '1.0.0', mode: 'headless', platform: 'linux', arch: 'x64', startedAt: 1, uptimeSeconds: 3 },
  trainer: { phase: 'idle', detail: 'x', since: 1 },
  network: { target: 'devnet' },
};

describe('ContractClient', () => {
  it('resolves a request with the validated result', async () => {
    const t = fakeTransport();
    const client = new ContractClient(t.transport);
    const pending = client.request('state.get', {});
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]).toMatchObject({ kind: 'request', method: 'state.get' });
    t.deliver({ kind: 'response', id: t.sent[0]!.id, ok: true, result: validState });
    await expect(pending).resolves.toEqual(validState);
    expect(client.pendingCount).toBe(0);
  });

  it('rejects bad params locally without sending anything', async () => {
    const t = fakeTransport();
    const client = new ContractClient(t.transport);
    // @ts-expect-error deliberately wrong type
    const error = await client.request('logs.tail', { limit: 'many' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('INVALID_PARAMS');
    expect((error as ContractError).issues?.[0]?.path).toBe('limit');
    expect(t.sent).toHaveLength(0);
  });

  it('rejects a result that does not match the contract', async () => {
    const t = fakeTransport();
    const client = new ContractClient(t.transport);
    const pending = client.request('state.get', {});
    t.deliver({ kind: 'response', id: t.sent[0]!.id, ok: true, result: { core: 'nonsense' } });
    await expect(pending).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('passes typed errors from the core through', async () => {
    const t = fakeTransport();
    const client = new ContractClient(t.transport);
    const pending = client.request('settings.update', { network: 'devnet' });
    t.deliver({ kind: 'response', id: t.sent[0]!.id, ok: false, error: { code: 'FAILED', message: 'disk full' } });
    await expect(pending).rejects.toMatchObject({ code: 'FAILED', message: 'disk full' });
  });

  it('delivers only events that validate, and reports the rest', () => {
    const t = fakeTransport();
    const onProtocolError = vi.fn();
    const client = new ContractClient(t.transport, { onProtocolError });
    const states: unknown[] = [];
    client.on('state', (s) => states.push(s));
    t.deliver({ kind: 'event', event: 'state', data: validState });
    t.deliver({ kind: 'event', event: 'state', data: { core: null } });
    t.deliver({ kind: 'event', event: 'no-such-event', data: {} });
    t.deliver('garbage');
    expect(states).toEqual([validState]);
    expect(onProtocolError).toHaveBeenCalledTimes(3);
  });

  it('times out a request that never gets an answer', async () => {
    vi.useFakeTimers();
    try {
      const t = fakeTransport();
      const client = new ContractClient(t.transport, { timeoutMs: 1000 });
      const pending = client.request('app.ping', {});
      vi.advanceTimersByTime(1001);
      await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails pending requests when the connection drops', async () => {
    const t = fakeTransport();
    const client = new ContractClient(t.transport);
    const pending = client.request('app.ping', {});
    client.failPending('DISCONNECTED', 'socket closed');
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
