import path from 'node:path';

/**
 * The layers of main/, lowest first. A file may import from its own layer or
 * any layer below it, never from one above: the shells start the app, the app
 * composes the networks and services, services work on ports that adapters
 * implement, and everything stands on core and platform. README, "Architecture",
 * shows the same table; test/unit/architecture checks this rule still bites.
 */
export const MAIN_LAYERS = ['platform', 'core', 'ports', 'adapters', 'services', 'network', 'devnet', 'app', 'shells'];

/**
 * Inside three layers the folders are ordered too, lowest first, so that no two
 * of them import each other (files directly in the layer folder come first).
 * Layers not listed here have no inner order.
 */
export const INNER_ORDER = {
  adapters: ['', 'codec', 'process', 'storage', 'subtensor', 'trainer'],
  services: ['data', 'earnings', 'hardware', 'wallet', 'schedule', 'notifications', 'support', 'chain', 'bucket', 'guard', 'round', 'run', 'fit', 'validator'],
  shells: ['', 'headless', 'electron', 'cli'],
};

/** Layer and inner folder of a path inside main/ (`services/round/x.ts` -> services, round), or undefined outside main/. */
export function placeOf(relativeToMain) {
  const parts = relativeToMain.split(path.sep);
  if (parts[0] === '..' || parts.length < 2) return undefined;
  const layer = parts[0];
  const inner = parts.length > 2 ? parts[1] : '';
  return { layer, inner };
}

/** Why an import from `from` to `to` (both relative to main/) breaks the layering, or undefined when it is allowed. */
export function layeringProblem(from, to) {
  const a = placeOf(from);
  const b = placeOf(to);
  if (!a || !b) return undefined;
  const rankA = MAIN_LAYERS.indexOf(a.layer);
  const rankB = MAIN_LAYERS.indexOf(b.layer);
  if (rankA < 0) return `main/${a.layer}/ is not a layer; main/ holds only ${MAIN_LAYERS.join(', ')}`;
  if (rankB < 0) return `main/${b.layer}/ is not a layer; main/ holds only ${MAIN_LAYERS.join(', ')}`;
  if (rankB > rankA) return `main/${a.layer}/ may not import main/${b.layer}/, a higher layer (lowest first: ${MAIN_LAYERS.join(' < ')})`;
  if (rankA === rankB && INNER_ORDER[a.layer] && a.inner !== b.inner) {
    const order = INNER_ORDER[a.layer];
    const ia = order.indexOf(a.inner);
    const ib = order.indexOf(b.inner);
    const name = (inner) => `main/${a.layer}/${inner ? inner + '/' : ''}`;
    if (ia < 0) return `${name(a.inner)} is not in the inner order of main/${a.layer}/ (scripts/lint/main-layers.js)`;
    if (ib < 0) return `${name(b.inner)} is not in the inner order of main/${a.layer}/ (scripts/lint/main-layers.js)`;
    if (ib > ia) return `${name(a.inner)} may not import ${name(b.inner)}, which stands above it in main/${a.layer}/ (lowest first: ${order.map((o) => o || '(files in the layer folder)').join(' < ')})`;
  }
  return undefined;
}

/** ESLint rule: no import from a lower layer of main/ to a higher one. */
export const mainLayersRule = {
  meta: { type: 'problem', docs: { description: 'keep the layers of main/ pointing downwards' }, schema: [], messages: { up: '{{problem}}' } },
  create(context) {
    const mainDir = path.join(context.cwd, 'main');
    const file = context.filename;
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), source.value);
      const problem = layeringProblem(path.relative(mainDir, file), path.relative(mainDir, target));
      if (problem) context.report({ node, messageId: 'up', data: { problem } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};
