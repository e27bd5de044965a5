import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CodecAddonMissingError,
  CodecArgumentError,
  loadCodecAddonUncached,
  TandemCodec,
} from '../../main/adapters/codec';
import type { CodecAddon } from '../../main/adapters/codec/addon-types';

/** An addon whose every method fails the test if reached. */
function tripwireAddon(): { addon: () => CodecAddon; calls: string[] } {
  const calls: string[] = [];
  const trip = (name: string) => () => {
    calls.push(name);
    throw new Error(`native ${name} must not be called`);
  };
  const addon = {
    encode: trip('encode'),
    decode: trip('decode'),
    inspect: trip('inspect'),
    validate: trip('validate'),
    aggregate: trip('aggregate'),
    formatVersion: 1,
  } as unknown as CodecAddon;
  return { addon: () => addon, calls };
}

describe('codec argument validation happens before any native call', () => {
  const { addon, calls } = tripwireAddon();
  const codec = new TandemCodec(addon);
  const data = new Float32Array(12);

  it.each([
    ['shape/data mismatch', [{ name: 'w', shape: [3, 5], data }], {}, 'tensors[0].data'],
    ['zero dimension', [{ name: 'w', shape: [0, 12], data }], {}, 'tensors[0].shape[0]'],
    ['empty name', [{ name: '', shape: [12], data }], {}, 'tensors[0].name'],
    ['wrong data type', [{ name: 'w', shape: [12], data: new Float64Array(12) }], {}, 'tensors[0].data'],
    ['duplicate names', [{ name: 'w', shape: [12], data }, { name: 'w', shape: [12], data: new Float32Array(12) }], {}, 'tensors[1].name'],
    ['aliased EF', [{ name: 'w', shape: [12], data, errorFeedback: data }], {}, 'tensors[0].errorFeedback'],
    ['k = 0', [{ name: 'w', shape: [12], data }], { k: 0 }, 'options.k'],
    ['beta > 1', [{ name: 'w', shape: [12], data }], { beta: 1.5 }, 'options.beta'],
    ['fractional blockSize', [{ name: 'w', shape: [12], data }], { blockSize: 6.5 }, 'options.blockSize'],
    ['unknown option', [{ name: 'w', shape: [12], data }], { chunk: 4096 }, 'options'],
  ])('encode rejects %s', async (_label, tensors, options, field) => {
    const error = await codec.encodeTensors(tensors as never, options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodecArgumentError);
    expect((error as CodecArgumentError).field).toBe(field);
    expect(calls).toEqual([]);
  });

  it('decode, validate, inspect and aggregate reject bad arguments', async () => {
    await expect(codec.decodePayload('nope' as never)).rejects.toBeInstanceOf(CodecArgumentError);
    await expect(codec.validatePayload(new Uint8Array(4), { maxValues: -1 })).rejects.toMatchObject({
      field: 'options.maxValues',
    });
    expect(() => codec.inspectPayload(new Uint8Array(4), { expectedK: 1.5 })).toThrow(CodecArgumentError);
    await expect(codec.aggregatePayloads([])).rejects.toMatchObject({ field: 'payloads' });
    await expect(codec.aggregatePayloads([new Uint8Array(4), [1, 2] as never])).rejects.toMatchObject({
      field: 'payloads[1]',
    });
    expect(calls).toEqual([]);
  });
});

describe('codec addon loader', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('explains how to build when the binary is missing', () => {
    vi.stubEnv('TANDEM_CODEC_ADDON', '/nonexistent/tandem_codec.node');
    expect(() => loadCodecAddonUncached()).toThrow(CodecAddonMissingError);
    expect(() => loadCodecAddonUncached()).toThrow(/codec addon not built: run npm run build:native/);
  });

  it('loads the built binary by default', () => {
    const addon = loadCodecAddonUncached({});
    expect(addon.formatVersion).toBe(1);
    expect(typeof addon.encode).toBe('function');
  });
});
