import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The import walls are part of the architecture (README, "Architecture"):
 * these tests lint a one-line file placed where a wrong import would be, so a
 * rule that stopped matching would fail here rather than let the arrow in.
 */
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import walls', () => {
  it('keeps the devnet and the validator out of the round and the run', async () => {
    expect(await restrictedImports('main/round/probe.ts', "import { DevnetChain } from '../devnet/devnet-chain';\nexport const x = DevnetChain;\n")).toEqual([expect.stringContaining('ports')]);
    expect(await restrictedImports('main/round/probe.ts', "import { RatingBook } from '../validator/rating-book';\nexport const x = RatingBook;\n")).toEqual([expect.stringContaining('validator')]);
    expect(await restrictedImports('main/run/probe.ts', "import { DevnetChain } from '../devnet/devnet-chain';\nexport const x = DevnetChain;\n")).toHaveLength(1);
  });

  it('lets the devnet and the validator use the round', async () => {
    expect(await restrictedImports('main/devnet/probe.ts', "import { RoundEngine } from '../round/round-engine';\nexport const x = RoundEngine;\n")).toEqual([]);
    expect(await restrictedImports('main/validator/probe.ts', "import { gather } from '../round/gather';\nexport const x = gather;\n")).toEqual([]);
  });

  it('keeps the renderer on the contract and the contract on zod', async () => {
    expect(await restrictedImports('renderer/src/probe.ts', "import { bootstrap } from '../../main/app/bootstrap';\nexport const x = bootstrap;\n")).toHaveLength(1);
    expect(await restrictedImports('contract/probe.ts', "import fs from 'node:fs';\nexport const x = fs;\n")).toHaveLength(1);
  });
});
