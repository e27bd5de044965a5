import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The renderer's store: store/index.ts composes the slices, and the slices take
 * Store and their types from store/types.ts. A slice that imported index.ts
 * would close the import circle that ran through every slice; the linter
 * refuses it (eslint.config.js), and these tests check the rule and the files.
 */
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const storeDir = path.join(root, 'renderer', 'src', 'store');
const storeIndex = path.join(storeDir, 'index.ts');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** Every relative import, export-from and import() of a file, resolved to the file it names. */
function localImports(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((ref) => ref.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const base = path.resolve(path.dirname(file), spec);
      const candidates = [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')];
      return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? base;
    });
}

describe('the renderer store', () => {
  it('has no slice that imports store/index.ts', () => {
    const slices = sourceFiles(path.join(storeDir, 'slices'));
    expect(slices.length).toBeGreaterThan(10);
    const offenders = slices.filter((file) => localImports(file).includes(storeIndex)).map((file) => path.relative(root, file));
    expect(offenders).toEqual([]);
  });

  it('has no import circle among its files (type-only imports included)', () => {
    const files = sourceFiles(storeDir);
    const edges = new Map(files.map((file) => [file, localImports(file).filter((target) => target.startsWith(storeDir + path.sep))]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(storeDir, f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('lints a slice that imports store/index.ts as an error, and store/types.ts as fine', async () => {
    const eslint = new ESLint({ cwd: root });
    const restricted = async (source: string) => {
      const [result] = await eslint.lintText(source, { filePath: path.join(storeDir, 'slices', 'probe.ts') });
      return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    };
    for (const spec of ['..', '../', '../index', '../index.ts', '../../store']) {
      expect(await restricted(`import { useStore } from '${spec}';\nexport const x = useStore;\n`), spec).toEqual([expect.stringContaining('store/index.ts')]);
    }
    expect(await restricted("import type { Store } from '../types';\nexport type X = Store;\n")).toEqual([]);
    // The renderer's own walls still hold inside the slices.
    expect(await restricted("import fs from 'node:fs';\nexport const x = fs;\n")).toHaveLength(1);
  });
});
