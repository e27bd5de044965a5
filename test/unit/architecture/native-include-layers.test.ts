import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * native/ is layered like main/: native/scripts/include-layers.mjs (run by
 * `npm run lint`) refuses an #include from a lower folder to a higher one.
 * These tests run the script on the real tree and on small planted trees, so
 * a check that stopped matching would fail here rather than let the arrow in.
 */
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const script = path.join(root, 'native', 'scripts', 'include-layers.mjs');
const temps: string[] = [];

function runScript(tree?: string) {
  const result = spawnSync(process.execPath, tree ? [script, tree] : [script], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

/** A synthetic repository root holding native/<file> for each entry. */
function plantTree(files: Record<string, string>): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'include-layers-'));
  temps.push(tree);
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(tree, 'native', file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return tree;
}

afterEach(() => {
  for (const tree of temps.splice(0)) fs.rmSync(tree, { recursive: true, force: true });
});

// Each test starts a node process; the machine's cores may be busy compiling.
describe('native include layers', { timeout: 30_000 }, () => {
  it('passes on the real tree', () => {
    const { status, stderr } = runScript();
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('passes includes downward and within a folder', () => {
    const tree = plantTree({
      'trainer/src/util/errors.h': '#pragma once\n',
      'trainer/src/optim/adamw.h': '#pragma once\n#include "util/errors.h"\n',
      'trainer/src/optim/adamw.cpp': '#include "optim/adamw.h"\n#include <vector>\n',
      'trainer/tests/test_optim.cpp': '#include "optim/adamw.h"\n#include "test_harness.h"\n',
      'testing/test_harness.h': '#pragma once\n',
    });
    expect(runScript(tree)).toEqual({ status: 0, stderr: '' });
  });

  it('fails on a planted back-arrow, naming the file, both folders and the order', () => {
    const tree = plantTree({
      'trainer/src/model/parameter_store.h': '#pragma once\n',
      'trainer/src/optim/adamw.h': '#pragma once\n\n#include "model/parameter_store.h"\n',
    });
    const { status, stderr } = runScript(tree);
    expect(status).toBe(1);
    expect(stderr).toContain(
      'native/trainer/src/optim/adamw.h:3 includes model/parameter_store.h: trainer/src/optim may not include trainer/src/model, which stands above it; order lowest first: codec/include/tandem_codec < ',
    );
  });

  it('fails on a back-arrow planted in a copy of the real tree', () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'include-layers-copy-'));
    temps.push(tree);
    fs.cpSync(path.join(root, 'native'), path.join(tree, 'native'), {
      recursive: true,
      filter: (source) => !/^build/.test(path.basename(source)),
    });
    const util = path.join(tree, 'native', 'trainer', 'src', 'util', 'errors.h');
    fs.appendFileSync(util, '#include "train/training_session.h"\n');
    const { status, stderr } = runScript(tree);
    expect(status).toBe(1);
    expect(stderr).toContain('trainer/src/util may not include trainer/src/train, which stands above it');
  });

  it('fails on a folder that is not in the order, so a new folder must be placed', () => {
    const tree = plantTree({
      'trainer/src/scheduler/plan.h': '#pragma once\n',
      'trainer/src/train/session.h': '#pragma once\n#include "scheduler/plan.h"\n',
    });
    const { status, stderr } = runScript(tree);
    expect(status).toBe(1);
    expect(stderr).toContain('native/trainer/src/scheduler/plan.h: its folder is not in the include layers');
    expect(stderr).toContain('native/trainer/src/train/session.h:2 includes scheduler/plan.h: native/trainer/src/scheduler is not in the include layers');
  });

  it('fails on a quoted include that resolves to no file', () => {
    const tree = plantTree({ 'trainer/src/util/json.h': '#pragma once\n#include "nlohmann/json.hpp"\n' });
    const { status, stderr } = runScript(tree);
    expect(status).toBe(1);
    expect(stderr).toContain('native/trainer/src/util/json.h:2 includes "nlohmann/json.hpp", which is no file beside it');
  });
});
