#!/usr/bin/env node
// The include layers of native/: every folder that holds C++ sources stands
// at one place in LAYERS, and a file may include only files of its own
// folder or of a folder below it. That keeps each folder readable on its own
// (what it uses is beneath it) and keeps include cycles out. `npm run lint`
// runs this; it prints one line per offending include and exits 1.
//
// Usage: node native/scripts/include-layers.mjs [root]
//   root: the folder that holds native/ (default: this repository), so a test
//   can check a copy or a synthetic tree. No dependencies beyond Node.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Folders relative to native/, lowest first. A file belongs to the folder it
// sits in, which must be listed itself (a subfolder is a folder of its own,
// so a new one must be placed). Why this order:
//  - the codec comes first: the trainer and the addon both build on it, and
//    it knows nothing of them (its public API in include/, then its sources);
//  - the trainer's folders go from plain tools to the process: util (errors,
//    JSON, files) < tensors (named fp32 tensors in memory and on disk) <
//    device (what a GPU is, device memory) < kernels (one op, CPU + CUDA) <
//    optim (updates a ParameterStore) < model (the LLaMA forward/backward, on
//    the host or a device, with its optimizer) < fsdp (the model cut over
//    ranks) < data (token shards and batches) < sparseloco (pseudo-gradients,
//    the outer step and its state) < checkpoint (saves model, optimizer and
//    outer state together) < train (a training session uses all of the
//    above) < protocol (the NDJSON commands drive a session) < trainer/src
//    itself (main.cpp, the CLI);
//  - the addon is a consumer of the codec only;
//  - test code stands above everything it tests, and nothing ships that
//    includes it: the shared harness, then each component's tests.
export const LAYERS = [
  'codec/include/tandem_codec',
  'codec/src',
  'trainer/src/util',
  'trainer/src/tensors',
  'trainer/src/device',
  'trainer/src/kernels',
  'trainer/src/optim',
  'trainer/src/model',
  'trainer/src/fsdp',
  'trainer/src/data',
  'trainer/src/sparseloco',
  'trainer/src/checkpoint',
  'trainer/src/train',
  'trainer/src/protocol',
  'trainer/src',
  'addon/src',
  'testing',
  'codec/tests',
  'codec/fuzz',
  'trainer/tests/cuda_emulator',
  'trainer/tests',
];

// Where `#include "x"` is looked up after the including file's own folder:
// the include directories the builds give each component
// (native/trainer/CMakeLists.txt, native/codec/CMakeLists.txt,
// native/addon/binding.gyp). Keys are folders relative to native/.
export const INCLUDE_DIRS = {
  trainer: ['trainer/src', 'trainer/tests', 'trainer/tests/cuda_emulator', 'testing', 'codec/include'],
  codec: ['codec/include', 'codec/src', 'codec/tests', 'testing'],
  addon: ['addon/src', 'codec/include', 'codec/src'],
  testing: ['testing'],
};

const SOURCE = /\.(h|hpp|cpp|cu|cuh)$/;
// Build outputs and installed packages are not sources.
const SKIPPED_DIRS = /^(build.*|node_modules|\..*)$/;
const INCLUDE = /^\s*#\s*include\s*"([^"]+)"/;

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.test(entry.name) ? [] : sourceFiles(full);
    return entry.isFile() && SOURCE.test(entry.name) ? [full] : [];
  });
}

const toPosix = (path) => path.split(sep).join('/');

/** The layer a file (relative to native/, posix) belongs to, or null. */
export function layerOf(path) {
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  return LAYERS.includes(folder) ? folder : null;
}

function includeDirsOf(path) {
  const component = Object.keys(INCLUDE_DIRS).find((key) => path.startsWith(`${key}/`));
  return component ? INCLUDE_DIRS[component] : [];
}

/** Checks every include under <root>/native; returns one message per problem. */
export function checkIncludeLayers(root) {
  const nativeDir = join(root, 'native');
  const order = LAYERS.join(' < ');
  const problems = [];
  for (const file of sourceFiles(nativeDir)) {
    const from = toPosix(relative(nativeDir, file));
    const shown = `native/${from}`;
    const fromLayer = layerOf(from);
    if (fromLayer === null) {
      problems.push(`${shown}: its folder is not in the include layers; place it in LAYERS in native/scripts/include-layers.mjs (order lowest first: ${order})`);
      continue;
    }
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const match = INCLUDE.exec(line);
      if (!match) return;
      const name = match[1];
      const candidates = [dirname(file), ...includeDirsOf(from).map((dir) => join(nativeDir, dir))].map((dir) => resolve(dir, name));
      const target = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
      const where = `${shown}:${index + 1}`;
      if (!target) {
        problems.push(`${where} includes "${name}", which is no file beside it nor under its include directories (${includeDirsOf(from).join(', ')}); use <...> for a system header`);
        return;
      }
      const to = toPosix(relative(nativeDir, target));
      const toLayer = layerOf(to);
      if (toLayer === null) {
        problems.push(`${where} includes ${name}: native/${dirname(to)} is not in the include layers; place it in LAYERS in native/scripts/include-layers.mjs (order lowest first: ${order})`);
      } else if (LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer)) {
        problems.push(`${where} includes ${name}: ${fromLayer} may not include ${toLayer}, which stands above it; order lowest first: ${order}`);
      }
    });
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../..'));
  if (!existsSync(join(root, 'native'))) {
    console.error(`include-layers: ${root} has no native/ folder`);
    process.exit(2);
  }
  const problems = checkIncludeLayers(root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`include-layers: ${problems.length} include${problems.length === 1 ? '' : 's'} against the layers`);
    process.exit(1);
  }
}
