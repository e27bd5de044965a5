import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRuntimeDir, loadSubtensorRuntime, RUNTIME_METADATA_FILE, RUNTIME_VERSION_FILE } from '../../../main/devnet/node/subtensor-runtime';
import { hasSubtensorFixtures, recordedResult, SKIP_SUBTENSOR, SUBTENSOR_FIXTURES } from '../../support/subtensor-fixtures';
import { skippedUnless } from '../../support/skip-note';
import { makeTempDir } from '../../support/temp-dir';

const needsFixtures = skippedUnless(hasSubtensorFixtures, SKIP_SUBTENSOR);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the subtensor runtime the devnet node ships (assets/subtensor)', () => {
  it('is found in the source tree and is spec 424, metadata v16', () => {
    expect(defaultRuntimeDir()).toBe(path.join(REPO_ROOT, 'assets', 'subtensor'));
    const runtime = loadSubtensorRuntime();
    expect(runtime.metadata.version).toBe(16);
    expect(runtime.version.specVersion).toBe(424);
    expect(Object.keys(runtime.decorated.query)).toEqual(expect.arrayContaining(['system', 'timestamp', 'subtensorModule', 'commitments']));
    expect(fs.readFileSync(path.join(defaultRuntimeDir(), 'SOURCE.md'), 'utf8')).toContain('spec version 424');
  });

  it('names the missing file when an install lacks it', () => {
    const temp = makeTempDir();
    try {
      expect(() => loadSubtensorRuntime(temp.dir)).toThrow(`the devnet node needs subtensor's runtime file ${path.join(temp.dir, RUNTIME_METADATA_FILE)}, which is missing from this install`);
    } finally {
      temp.cleanup();
    }
  });

  it.skipIf(!hasSubtensorFixtures)(`the metadata is the fixture, byte for byte${needsFixtures}`, () => {
    const shipped = fs.readFileSync(path.join(defaultRuntimeDir(), RUNTIME_METADATA_FILE));
    expect(shipped.equals(fs.readFileSync(path.join(SUBTENSOR_FIXTURES, RUNTIME_METADATA_FILE)))).toBe(true);
  });

  it.skipIf(!hasSubtensorFixtures)(`the runtime version is finney's recorded answer at spec 424, with the runtime's own API list${needsFixtures}`, () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(defaultRuntimeDir(), RUNTIME_VERSION_FILE), 'utf8')) as Record<string, unknown>;
    const recorded = recordedResult('metagraph', 'state_getRuntimeVersion') as Record<string, unknown>;
    const runtime = loadSubtensorRuntime();
    const constant = (runtime.decorated.consts['system']?.['version'] as unknown as { toJSON(): Record<string, unknown> }).toJSON();
    expect(shipped).toEqual({ ...recorded, specVersion: 424, apis: constant['apis'] });
    for (const field of ['specName', 'implName', 'authoringVersion', 'specVersion', 'implVersion', 'transactionVersion', 'systemVersion']) expect(shipped[field], field).toEqual(constant[field]);
  });
});

