import { describe, expect, it } from 'vitest';
import { encodeTrainerCommand, parseTrainerEvent, TRAINER_PROTOCOL_VERSION } from '../../main/adapters/trainer/protocol';

// The trainer's stage_payload / unstage commands and apply_outer's `staged`
// form are checked here before they reach the native trainer (PROTOCOL.md).
describe('trainer protocol: staged payloads', () => {
  const v = TRAINER_PROTOCOL_VERSION;

  it('takes stage_payload with a key and a path, and unstage with or without keys', () => {
    expect(JSON.parse(encodeTrainerCommand({ v, id: '1', cmd: 'stage_payload', key: '12/4', path: '/w/window-12-peer-4.tndc', expected_k: 64 }))).toMatchObject({ cmd: 'stage_payload', key: '12/4' });
    expect(() => encodeTrainerCommand({ v, cmd: 'stage_payload', key: '', path: '/p' })).toThrow();
    expect(() => encodeTrainerCommand({ v, cmd: 'stage_payload', key: 'k', path: '/p', expected_k: -1 })).toThrow();
    expect(encodeTrainerCommand({ v, cmd: 'unstage' })).toContain('"unstage"');
    expect(encodeTrainerCommand({ v, cmd: 'unstage', keys: ['12/4'] })).toContain('12/4');
  });

  it('takes apply_outer with exactly one of payloads and staged, a key once, and staged only for sparseloco', () => {
    expect(encodeTrainerCommand({ v, cmd: 'apply_outer', window: 3, staged: ['3/1', '3/2'], outer_lr: 0.4 })).toContain('"staged"');
    expect(encodeTrainerCommand({ v, cmd: 'apply_outer', payloads: ['/p/a.tndc'] })).toContain('"payloads"');
    expect(() => encodeTrainerCommand({ v, cmd: 'apply_outer', payloads: ['/p/a.tndc'], staged: ['3/1'] })).toThrow(/exactly one/);
    expect(() => encodeTrainerCommand({ v, cmd: 'apply_outer' })).toThrow(/exactly one/);
    expect(() => encodeTrainerCommand({ v, cmd: 'apply_outer', staged: ['3/1', '3/1'] })).toThrow(/twice/);
    expect(() => encodeTrainerCommand({ v, cmd: 'apply_outer', staged: ['3/1'], mode: 'diloco' })).toThrow(/sparseloco/);
  });

  it('reads stage_payload\u2019s verdicts, unstage\u2019s count and the not_staged error', () => {
    const ok = parseTrainerEvent(JSON.stringify({ v, event: 'done', id: '1', cmd: 'stage_payload', result: { key: '3/1', ok: true, payload_bytes: 2963 } }));
    expect(ok).toMatchObject({ result: { ok: true } });
    const refused = parseTrainerEvent(
      JSON.stringify({ v, event: 'done', id: '2', cmd: 'stage_payload', result: { key: '3/9', ok: false, payload_bytes: 10, code: 'CHECKSUM_MISMATCH', field: 'checksum', reason: "invalid field 'checksum': mismatch" } }),
    );
    expect(refused).toMatchObject({ result: { ok: false, code: 'CHECKSUM_MISMATCH', field: 'checksum' } });
    expect(() => parseTrainerEvent(JSON.stringify({ v, event: 'done', id: '2', cmd: 'stage_payload', result: { key: '3/9', ok: false, payload_bytes: 10 } }))).toThrow();
    expect(parseTrainerEvent(JSON.stringify({ v, event: 'done', id: '3', cmd: 'unstage', result: { released: 2 } }))).toMatchObject({ result: { released: 2 } });
    expect(parseTrainerEvent(JSON.stringify({ v, event: 'error', id: '4', code: 'not_staged', message: "payload '3/1' is not staged" }))).toMatchObject({ code: 'not_staged' });
  });
});
