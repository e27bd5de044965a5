import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { mainLayersRule } from './scripts/lint/main-layers.js';

const NODE_BUILTINS = ['fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream', 'worker_threads', 'module', 'url'];

const RENDERER_IMPORTS = {
  paths: [...NODE_BUILTINS, 'electron'].map((name) => ({ name, message: 'The renderer is web content: no Node or Electron APIs; use the contract.' })),
  patterns: [
    { group: ['node:*'], message: 'The renderer is web content: no Node APIs.' },
    { group: ['**/main/**', '**/main'], message: 'The renderer talks to the core only through the contract.' },
  ],
};

// Import directions are part of the architecture, so the linter enforces them:
// contract -> nothing but zod; renderer -> contract only; main -> never renderer.
export default tseslint.config(
  { ignores: ['dist/', 'build/', 'release/', 'node_modules/', 'native/addon/build/', 'test-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', RENDERER_IMPORTS],
    },
  },
  {
    // store/index.ts composes the slices; a slice that imported it would close
    // the circle again. Slices take Store and their types from store/types.ts.
    // (A later block replaces a rule's options, so the renderer's walls are repeated.)
    files: ['renderer/src/store/slices/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...RENDERER_IMPORTS,
          patterns: [
            ...RENDERER_IMPORTS.patterns,
            { regex: '^(\\.\\./?|.*/store/?)(index(\\.[jt]sx?)?)?$', message: 'A store slice never imports store/index.ts (it composes the slices); take Store and slice types from store/types.' },
          ],
        },
      ],
    },
  },
  {
    files: ['contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, 'electron', 'react'].map((name) => ({ name, message: 'The contract is platform-neutral: zod only.' })),
          patterns: [
            { group: ['node:*'], message: 'The contract is platform-neutral: zod only.' },
            { group: ['**/main/**', '**/renderer/**'], message: 'The contract depends on nothing of ours.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/renderer/**'], message: 'The core never imports UI code.' }] }],
    },
  },
  {
    files: ['main/**/*.ts'],
    plugins: { tandem: { rules: { layers: mainLayersRule } } },
    rules: { 'tandem/layers': 'error' },
  },
);
