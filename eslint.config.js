// Lint enforces the architecture (STYLE.md §3), not only the style: layers import downward,
// one plugin never imports another, and only main.ts and config/ touch the process.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((regex) => ({ regex, message })) }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.bench-results/', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // Leaves: errors/, config/ and context/ import nothing else from src/.
  layer(['src/errors/**', 'src/context/**'], ['^\\.\\./'], 'errors/ and context/ are leaves: they import nothing from src/.'),
  layer(['src/config/**'], ['^\\.\\./(?!config/)'], 'config/ is a leaf: it imports nothing else from src/.'),
  // Lower layers never import upward.
  layer(
    ['src/stores/**', 'src/transport/**'],
    ['/(server|pipeline|plugins|compose|sources|partner-rest)/', '/main\\.js$'],
    'stores/ and transport/ sit below sources/, compose/, plugins/ and the server.',
  ),
  layer(['src/sources/**'], ['/(server|pipeline|plugins|compose|partner-rest)/', '/main\\.js$'], 'sources/ sits below compose/, plugins/ and the server.'),
  layer(['src/compose/**'], ['/(server|pipeline|plugins|partner-rest)/', '/main\\.js$'], 'compose/ sits below the pipeline and the server.'),
  // A plugin imports only downward, and never a sibling plugin (each policy stands alone).
  layer(
    ['src/plugins/**'],
    ['/(server|pipeline|partner-rest)/', '/main\\.js$', '^\\.\\./(?!\\.)'],
    'a plugin never imports another plugin, the pipeline or the server.',
  ),
  layer(['src/pipeline/**'], ['/(partner-rest)/', '/main\\.js$'], 'the pipeline sits below the server.'),
  // Only the entry point and config loading may read the environment or end the process.
  {
    files: ['src/**'],
    ignores: ['src/main.ts', 'src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment in src/main.ts or src/config/ and pass values down.' },
        { object: 'process', property: 'exit', message: 'Only src/main.ts ends the process.' },
      ],
    },
  },
);
