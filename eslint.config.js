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

// The layers from the top down; `above(x)` matches an import of any layer above x.
const LAYERS = ['runtime', 'cli', 'server', 'pipeline', 'plugins', 'partner-rest', 'compose', 'sources', 'transport', 'stores'];
const above = (name) => `(/(${LAYERS.slice(0, LAYERS.indexOf(name)).join('|')})/|/main\\.js$)`;

// Both blocks below set no-restricted-syntax, and a later block's list replaces an earlier one's
// for the files both match: the src/-wide restriction is repeated in the narrower block.
const NO_ACCESSOR_LITERALS = {
  selector: 'ObjectExpression > Property[kind=/^(get|set)$/]',
  message: 'An object literal with accessors gets a hidden class of its own per evaluation: use a class (bench/README.md, "Speed work" 11).',
};

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
  // Every folder of src/ has a layer; each may import only the layers below it (STYLE.md §3):
  //   main → runtime, cli → server → pipeline → plugins, partner-rest → compose → sources →
  //   transport → stores → observability → config, context, errors (leaves).
  // File and folder cycles, which these rules cannot see inside one layer, are caught by
  // test/architecture/imports.test.ts.
  layer(['src/errors/**', 'src/context/**'], ['^\\.\\./'], 'errors/ and context/ are leaves: they import nothing from src/.'),
  layer(['src/config/**'], ['^\\.\\./(?!config/)'], 'config/ is a leaf: it imports nothing else from src/.'),
  layer(['src/observability/**'], ['^\\.\\./(?!config/|context/|errors/)'], 'observability/ (the tracer, request metric series) sits above the leaves only.'),
  layer(['src/stores/**'], [above('stores')], 'stores/ sits below every layer but observability/ and the leaves.'),
  layer(['src/transport/**'], [above('transport')], 'transport/ sits below sources/ and everything above it.'),
  layer(['src/sources/**'], [above('sources')], 'sources/ sits below compose/, the plugins, the pipeline and the server.'),
  layer(['src/compose/**'], [above('compose')], 'compose/ sits below the plugins, the pipeline and the server.'),
  // A plugin imports only downward, and never a sibling plugin (each policy stands alone).
  layer(['src/plugins/**'], [above('plugins'), '^\\.\\./(?!\\.)'], 'a plugin never imports another plugin, the pipeline, the server or the runtime.'),
  layer(['src/partner-rest/**'], [above('plugins'), '/(compose|sources|transport)/'], 'partner REST routes run stored operations through the pipeline, never a source directly.'),
  layer(['src/pipeline/**'], [above('pipeline')], 'the pipeline sits below the server and the runtime.'),
  layer(['src/server/**'], [above('server'), '/(pipeline|plugins|partner-rest|compose|sources|transport|stores)/'], 'server/ is the HTTP edge: it runs the pipeline it is handed and imports none of it.'),
  layer(['src/runtime/**', 'src/cli/**'], ['/main\\.js$'], 'runtime/ and cli/ are started by main.ts, never the reverse.'),
  // An object literal with a getter or setter gets a hidden class of its own each time it is
  // evaluated (each accessor is a new closure, and the class holds it). V8 keeps hidden classes
  // in the old generation, so made per request they kept every request alive until a full
  // collection (bench/README.md, "Speed work" 11). Write a class; a factory that runs once per
  // process (not per request, call or subscription) may say so and disable the rule.
  {
    files: ['src/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        NO_ACCESSOR_LITERALS,
      ],
    },
  },
  // Below the server, code runs per request or per call, and on Node 20 every AbortSignal gets
  // hidden classes of its own (~0.5 KB in the old generation): cancel with a CancelSignal
  // (src/context/cancelSignal.ts). The server's scope makes the one real signal plugins may ask for.
  {
    files: ['src/pipeline/**', 'src/plugins/**', 'src/partner-rest/**', 'src/compose/**', 'src/sources/**', 'src/transport/**', 'src/stores/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        NO_ACCESSOR_LITERALS,
        {
          selector: "NewExpression[callee.name='AbortController']",
          message: 'A node AbortController per request or call costs ~0.5 KB of hidden classes in the old generation: use a CancelSignal (src/context/cancelSignal.ts; bench/README.md, "Speed work" 11).',
        },
      ],
    },
  },
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
