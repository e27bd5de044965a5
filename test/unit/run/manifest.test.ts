import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, parseManifestText } from '../../../main/ports/run-manifest';
import { windowOf, secondsUntilNextWindow } from '../../../main/services/round/window-clock';
import { expiredWindowKeys, gradientKey, parseGradientKey } from '../../../main/ports/object-keys';

const minimal = {
  version: 1,
  name: 'tiny',
  protocolVersion: '1',
  model: { vocabSize: 260, hiddenSize: 64, layers: 2, heads: 4, kvHeads: 2, ffnSize: 172, sequenceLength: 64 },
  data: { shards: 'data/shards' },
  storage: { kind: 'filesystem', root: '/tmp/x' },
  chain: { network: 'devnet', netuid: 3 },
};

describe('run manifest', () => {
  it('fills the published SparseLoCo defaults', () => {
    const m = parseManifest(minimal, 'm.json');
    expect(m.sparseloco).toEqual({ innerSteps: 30, chunkSize: 4096, topK: 64, errorFeedbackBeta: 0.95, quantizationBits: 2, outerLr: 0.4 });
    expect(m.optimizer).toMatchObject({ lr: 1.17e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1, gradClip: 1 });
    expect(m.windows).toMatchObject({ blocksPerWindow: 115, uploadDeadlineSeconds: 70, uploadGraceSeconds: 3, perPeerTimeoutSeconds: 90, gatherCapSeconds: 600 });
    expect(m.retentionWindows).toBe(100);
    expect(m.sparseloco.topK / m.sparseloco.chunkSize).toBe(0.015625);
  });

  it.each([
    [{ ...minimal, version: 2 }, 'version'],
    [{ ...minimal, model: { ...minimal.model, kvHeads: 3 } }, 'model.kvHeads'],
    [{ ...minimal, model: { ...minimal.model, hiddenSize: 65 } }, 'model.hiddenSize'],
    [{ ...minimal, sparseloco: { topK: 5000 } }, 'sparseloco.topK'],
    [{ ...minimal, storage: { kind: 'ftp', root: 'x' } }, 'storage.kind'],
    [{ ...minimal, protocolVersion: 'v 1/../' }, 'protocolVersion'],
    [{ ...minimal, surprise: true }, 'surprise'],
  ])('names the bad field (%#)', (raw, field) => {
    expect(() => parseManifest(raw, 'm.json')).toThrow(ManifestError);
    expect(() => parseManifest(raw, 'm.json')).toThrow(new RegExp(`^m\\.json: .*${field.replace('.', '\\.')}`));
  });

  it('reports broken JSON as such', () => {
    expect(() => parseManifestText('{"version":', 'm.json')).toThrow(/m\.json: not valid JSON/);
  });
});

describe('window clock', () => {
  it('counts windows from blocks', () => {
    expect(windowOf(0, 115)).toEqual({ window: 0, startBlock: 0, blockInWindow: 0, progress: 0 });
    expect(windowOf(114, 115)).toMatchObject({ window: 0, blockInWindow: 114 });
    expect(windowOf(115, 115)).toMatchObject({ window: 1, startBlock: 115, blockInWindow: 0 });
    expect(windowOf(6852690, 115)).toMatchObject({ window: 59588, startBlock: 6852620, blockInWindow: 70 });
    expect(secondsUntilNextWindow(6852690, 115, 12)).toBe((115 - 70) * 12);
  });

  it('rejects nonsense', () => {
    expect(() => windowOf(-1, 10)).toThrow(RangeError);
    expect(() => windowOf(1.5, 10)).toThrow(RangeError);
    expect(() => windowOf(10, 0)).toThrow(RangeError);
  });
});

describe('object keys', () => {
  it('round-trips gradient keys and ignores other names', () => {
    expect(gradientKey(59588, 17, '2.1.28')).toBe('gradient-59588-17-v2.1.28');
    expect(parseGradientKey('gradient-59588-17-v2.1.28')).toEqual({ window: 59588, uid: 17, protocolVersion: '2.1.28' });
    expect(parseGradientKey('gradient-1-2')).toBeNull();
    expect(parseGradientKey('checkpoints/1/latest.json')).toBeNull();
  });

  it('expires only the uploader\'s own window objects older than the retention horizon', () => {
    const keys = ['gradient-100-1-v1', 'sync-150-1-v1', 'gradient-199-1-v1', 'gradient-200-1-v1', 'gradient-100-2-v1', 'gradient-100-1-v2', 'checkpoints/1/5/model.safetensors', 'sync-x-1-v1'];
    expect(expiredWindowKeys(keys, 1, '1', 300, 100)).toEqual(['gradient-100-1-v1', 'sync-150-1-v1', 'gradient-199-1-v1']);
  });
});
