// typescript-eslint, type-checked (`npm run lint`, in `make vet`). Sources and tests share
// tsconfig.test.json, so the type-aware rules see what tsc sees.
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['build/', 'dist/', 'node_modules/', 'reports/', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // In recommendedTypeChecked already; named here because it is the rule this config exists for.
      '@typescript-eslint/no-floating-promises': 'error',
      // `const { dropped: _, ...rest } = x` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // Checks of input the types say cannot happen (a wrong schema string) print the value anyway.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNever: true }],
    },
  },
  {
    // Tests walk untyped YAML and JSON (manifests, API answers) and use vitest's asymmetric
    // matchers (expect.objectContaining), which are typed `any`: a wrong access fails the test at
    // once. tsc still checks every test (tsconfig.test.json).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
