// Lint: typescript-eslint's type-checked rules, plus the module arrows of docs/module-contracts.md.
import path from 'node:path';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Which libs each lib may import (core is implied for all but core itself). Apps and tests may
// import every lib; the arrows are the ones docs/module-contracts.md draws.
const LIB_ARROWS = {
  core: [],
  product: ['core'],
  tcc: ['core'],
  coupon: ['tcc', 'core'],
  payment: ['tcc', 'core'],
  inventory: ['product', 'tcc', 'core'],
  order: ['inventory', 'coupon', 'payment', 'product', 'tcc', 'core'],
  'live-stock': ['inventory', 'tcc', 'core'],
};
const LIBS = Object.keys(LIB_ARROWS);

const deepImport = {
  regex: '^@app/[^/]+/',
  message: "Import a lib through its index ('@app/<lib>'); export what you need from it there.",
};

function importRestrictions(extraPatterns = []) {
  return ['error', { patterns: [deepImport, ...extraPatterns] }];
}

function upwardImportsOf(lib) {
  const allowed = new Set([lib, ...LIB_ARROWS[lib]]);
  const forbidden = LIBS.filter((other) => !allowed.has(other));
  if (forbidden.length === 0) return [];
  return [
    {
      regex: `^@app/(${forbidden.join('|')})(/|$)`,
      message: `${lib} may import only ${[...allowed].filter((l) => l !== lib).join(', ') || 'no other lib'} (docs/module-contracts.md).`,
    },
  ];
}

// A relative import must stay inside its own lib or app: another module is reached by its alias.
const moduleBoundaries = {
  rules: {
    'no-relative-escape': {
      meta: {
        type: 'problem',
        schema: [],
        messages: {
          escape: "'{{source}}' leaves {{root}}: import another module by its alias ('@app/<lib>').",
        },
      },
      create(context) {
        const file = context.filename;
        const [top, name] = path.relative(import.meta.dirname, file).split(path.sep);
        if ((top !== 'libs' && top !== 'apps') || !name) return {};
        const root = path.join(import.meta.dirname, top, name);
        const check = (node) => {
          const source = node.source?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = path.resolve(path.dirname(file), source);
          if (target === root || target.startsWith(root + path.sep)) return;
          context.report({
            node: node.source,
            messageId: 'escape',
            data: { source, root: `${top}/${name}` },
          });
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
          ImportExpression: check,
        };
      },
    },
  },
};

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'config/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'ormconfig.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { modules: moduleBoundaries },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A leading underscore marks a parameter kept for its position; a rest sibling omits keys.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-imports': importRestrictions(),
      'modules/no-relative-escape': 'error',
    },
  },
  ...LIBS.map((lib) => ({
    files: [`libs/${lib}/**/*.ts`],
    rules: { 'no-restricted-imports': importRestrictions(upwardImportsOf(lib)) },
  })),
  {
    // Tests and scripts read untyped JSON response bodies and build loose fakes: `any` is their honest type.
    files: ['test/**/*.ts', '**/*.spec.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Test fakes implement async interfaces (participants, health indicators) without awaiting anything.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
