import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, folderGraph, importGraph } from './importGraph.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

// The eslint layer rules (eslint.config.js) say which folder may import which; they cannot see
// a cycle inside one layer (two files of transport/ importing each other, types included), nor a
// folder cycle between folders the rules happen to allow both ways. This test can.
const files = importGraph(src);

describe('the import graph of src/', () => {
  it('reads every source file and its relative imports', () => {
    expect(files.size).toBeGreaterThan(150);
    expect(files.get('pipeline/buildPipeline.ts')).toContain('plugins/auth/useAuth.ts');
  });

  it('has no file cycle, type-only imports included', () => {
    expect(cycles(files)).toEqual([]);
  });

  it('has no folder cycle', () => {
    expect(cycles(folderGraph(files))).toEqual([]);
  });

  it('finds a cycle when there is one (the check is not vacuous)', () => {
    const planted = new Map([...files, ['server/a.ts', ['pipeline/b.ts']], ['pipeline/b.ts', ['server/a.ts']]]);
    expect(cycles(planted)).toEqual([['pipeline/b.ts', 'server/a.ts']]);
    expect(cycles(folderGraph(planted))).toEqual([['pipeline', 'server']]);
  });
});

describe('the request path', () => {
  it('is ordered in pipeline/buildPipeline.ts alone: no other file of src/ builds a yoga plugin list', () => {
    const builders = [...files.keys()].filter((file) => {
      if (file === 'pipeline/buildPipeline.ts') return false;
      return /\bplugins\s*:\s*\[/.test(readSource(file));
    });
    expect(builders).toEqual([]);
  });

  it('has its hooks in plugin modules only: no yoga hook is written in the server, the runtime or anywhere else', () => {
    const hooks = /\b(onRequest|onRequestParse|onParams|onParse|onValidate|onContextBuilding|onExecute|onSubscribe|onExecutionResult|onResultProcess|onResponse)\s*[(:]/;
    // server/attachGraphQLWs.ts hands graphql-ws its own protocol hooks (onConnect, onSubscribe of
    // a WebSocket message), not yoga's: each operation it receives re-enters the pipeline.
    const protocolHooks = new Set(['server/attachGraphQLWs.ts']);
    const elsewhere = [...files.keys()].filter(
      (file) => !/^(plugins|partner-rest)\//.test(file) && !protocolHooks.has(file) && hooks.test(withoutComments(readSource(file))),
    );
    expect(elsewhere).toEqual([]);
  });
});

function readSource(file: string): string {
  return readFileSync(path.join(src, file), 'utf8');
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}
