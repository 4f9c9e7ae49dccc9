// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      'test-artifacts/',
      'eslint.config.mjs',
      'jest.config.js',
      'test/helpers/sequencer.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Jest's asymmetric matchers (expect.stringMatching, expect.objectContaining) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // Code that runs in Temporal's deterministic sandbox (workflows and what they import: the shared
    // message definitions and the pure domain): no Node built-ins, no I/O, no wall clock, and no
    // ajv or zod (their code generation and size do not belong in the sandbox; validation runs outside).
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts', 'src/messages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'node:*',
            'fs',
            'crypto',
            'path',
            'os',
            'child_process',
            'http',
            'https',
            'net',
            '@aws-sdk/*',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
            'ajv',
            'ajv/*',
            'ajv-formats',
            'zod',
            '../activities',
            '../activities/*',
            '../sources/*',
            '../config/*',
            '../temporal/*',
            '../iam/*',
            '../observability/*',
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use workflow time, not the wall clock.' },
        { object: 'Math', property: 'random', message: 'Not deterministic.' },
      ],
    },
  },
);
