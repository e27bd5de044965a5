import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { INNER_ORDER, MAIN_LAYERS } from '../../../scripts/lint/main-layers.js';

/**
 * The import walls are part of the architecture (README, "Architecture"):
 * these tests lint a one-line file placed where a wrong import would be, so a
 * rule that stopped matching would fail here rather than let the arrow in.
 */
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function wallMessages(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'tandem/layers').map((m) => m.message);
}

const probe = (what: string) => `import { x } from '${what}';\nexport const y = x;\n`;

describe('import walls', () => {
  it('main/ holds exactly its layers, each a folder', () => {
    const folders = fs.readdirSync(path.join(root, 'main'), { withFileTypes: true });
    expect(folders.filter((d) => !d.isDirectory()).map((d) => d.name)).toEqual([]);
    expect(folders.map((d) => d.name).sort()).toEqual([...MAIN_LAYERS].sort());
    expect(MAIN_LAYERS.length).toBeLessThanOrEqual(12);
  });

  it('every inner folder of an ordered layer is in its order', () => {
    for (const [layer, order] of Object.entries(INNER_ORDER)) {
      const inner = fs.readdirSync(path.join(root, 'main', layer), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      expect(inner.length).toBeGreaterThan(0);
      expect(inner.filter((name) => !order.includes(name)), `main/${layer}/`).toEqual([]);
    }
  });

  it('refuses an import from a lower layer to a higher one', async () => {
    expect(await wallMessages('main/services/round/probe.ts', probe('../../devnet/local-devnet'))).toEqual([expect.stringContaining('higher layer')]);
    expect(await wallMessages('main/ports/probe.ts', probe('../adapters/storage/s3-storage'))).toEqual([expect.stringContaining('higher layer')]);
    expect(await wallMessages('main/core/probe.ts', probe('../services/wallet/wallet-service'))).toHaveLength(1);
    expect(await wallMessages('main/network/probe.ts', probe('../app/modules'))).toHaveLength(1);
    // A dynamic import and a re-export count too.
    expect(await wallMessages('main/adapters/probe.ts', "export const y = () => import('../network/join-network');\n")).toHaveLength(1);
    expect(await wallMessages('main/adapters/probe.ts', "export { x } from '../services/chain/tao';\n")).toHaveLength(1);
  });

  it('refuses an import against the order inside a layer', async () => {
    expect(await wallMessages('main/services/round/probe.ts', probe('../validator/rating-book'))).toEqual([expect.stringContaining('main/services/validator/')]);
    expect(await wallMessages('main/services/wallet/probe.ts', probe('../chain/chain-service'))).toHaveLength(1);
    expect(await wallMessages('main/adapters/storage/probe.ts', probe('../trainer/protocol'))).toHaveLength(1);
  });

  it('lets a layer use its own and the ones below', async () => {
    expect(await wallMessages('main/devnet/probe.ts', probe('../services/round/round-engine'))).toEqual([]);
    expect(await wallMessages('main/services/validator/probe.ts', probe('../round/gather'))).toEqual([]);
    expect(await wallMessages('main/shells/cli/probe.ts', probe('../../devnet/local-devnet'))).toEqual([]);
    expect(await wallMessages('main/adapters/trainer/probe.ts', probe('../../ports/trainer-port'))).toEqual([]);
  });

  it('keeps the renderer on the contract and the contract on zod', async () => {
    expect(await wallMessages('renderer/src/probe.ts', probe('../../main/app/bootstrap'))).toHaveLength(1);
    expect(await wallMessages('contract/probe.ts', "import fs from 'node:fs';\nexport const x = fs;\n")).toHaveLength(1);
  });
});
